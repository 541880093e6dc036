/**
 * What every page's header shares: the navigation (the admin pages only for admins, with their
 * own tabs), who is signed in (a link to their account) with a sign-out button, the model
 * badge, the banner shown while the team file's last edit stands refused, and the page shell
 * that the LLM calls, agents, keys, account and admin pages sit in. Pure components of plain
 * data.
 */
import type { Child } from "hono/jsx";
import type { Role } from "../../db/users.ts";
import { ModelBadge } from "./badges.tsx";
import { formatClock } from "./format.ts";
import { Layout } from "./layout.tsx";

/** The signed-in user as the header shows them. */
export interface ViewerView {
  /** Email, or "Local user". */
  label: string;
  role: Role;
  /** Signed in with a session (so there is something to sign out of). */
  signedIn: boolean;
}

/** What every page gets from its route. */
export interface PageChrome {
  assetVersion: string;
  /** The default agent's model, shown in the header. */
  model: string;
  demo: boolean;
  viewer: ViewerView;
  /** The open-mode warning (GLASSBOX_AUTH=off), or null. */
  warning: string | null;
  /** The team file's last refused edit, or null. */
  teamError?: TeamErrorView | null;
}

/** The last refused edit of the team file: when, the version still running, every problem. */
export interface TeamErrorView {
  at: number;
  version: string;
  message: string;
}

export type NavItem =
  | "chat"
  | "calls"
  | "usage"
  | "agents"
  | "logs"
  | "keys"
  | "account"
  | "users"
  | "sign-ins"
  | "audit"
  | "budgets"
  | "alerts"
  | "sessions";

const NAV: { items: NavItem[]; href: string; label: string; admin?: true }[] = [
  { items: ["chat"], href: "/", label: "Chat" },
  { items: ["calls"], href: "/calls", label: "LLM calls" },
  { items: ["usage"], href: "/usage", label: "Usage" },
  { items: ["agents"], href: "/agents", label: "Agents" },
  { items: ["logs"], href: "/logs", label: "Logs" },
  { items: ["keys"], href: "/keys", label: "API keys" },
  {
    items: ["users", "sign-ins", "audit", "budgets", "alerts", "sessions"],
    href: "/admin/users",
    label: "Admin",
    admin: true,
  },
];

const ADMIN_TABS: { item: NavItem; href: string; label: string }[] = [
  { item: "users", href: "/admin/users", label: "Users" },
  { item: "sign-ins", href: "/admin/sign-ins", label: "Sign-ins" },
  { item: "audit", href: "/admin/audit", label: "Audit log" },
  { item: "budgets", href: "/admin/budgets", label: "Budgets" },
  { item: "alerts", href: "/admin/alerts", label: "Alerts" },
  { item: "sessions", href: "/sessions", label: "Sessions" },
];

export function TopNav(props: { current?: NavItem; viewer: ViewerView }) {
  return (
    <nav class="topnav" aria-label="Pages">
      {NAV.filter((n) => !n.admin || props.viewer.role === "admin").map((n) => (
        <a
          key={n.href}
          href={n.href}
          aria-current={props.current && n.items.includes(props.current) ? "page" : undefined}
        >
          {n.label}
        </a>
      ))}
    </nav>
  );
}

/** Who is signed in (a link to their account page), and the way out. */
export function WhoAmI({ viewer, current }: { viewer: ViewerView; current?: NavItem }) {
  return (
    <span class="whoami">
      <a
        class="whoami-name"
        href="/account"
        title="Your account"
        aria-current={current === "account" ? "page" : undefined}
      >
        <span class="whoami-label">{viewer.label}</span>
        {viewer.role === "admin" ? <span class="badge badge-role">admin</span> : null}
      </a>
      {viewer.signedIn
        ? (
          <form method="post" action="/sign-out" class="inline-form">
            <button class="btn btn-small" type="submit">Sign out</button>
          </form>
        )
        : null}
    </span>
  );
}

/** A page with the shared header and a centred main column. */
export function PageShell(
  props: PageChrome & { title: string; current?: NavItem; children?: Child },
) {
  return (
    <Layout title={props.title} assetVersion={props.assetVersion} warning={props.warning}>
      <div class="calls-page">
        <header class="topbar">
          <a class="brand" href="/">
            <span class="brand-mark" aria-hidden="true"></span>Glassbox
          </a>
          <TopNav current={props.current} viewer={props.viewer} />
          <ModelBadge model={props.model} demo={props.demo} />
          <WhoAmI viewer={props.viewer} current={props.current} />
        </header>
        <TeamBanner error={props.teamError} />
        <main class="calls-main" id="main">
          {ADMIN_TABS.some((t) => t.item === props.current)
            ? (
              <nav class="subnav" aria-label="Admin pages">
                {ADMIN_TABS.map((t) => (
                  <a
                    key={t.item}
                    href={t.href}
                    aria-current={t.item === props.current ? "page" : undefined}
                  >
                    {t.label}
                  </a>
                ))}
              </nav>
            )
            : null}
          {props.children}
        </main>
      </div>
    </Layout>
  );
}

export function TeamBanner({ error }: { error: TeamErrorView | null | undefined }) {
  if (!error) return null;
  const t = formatClock(error.at);
  return (
    <div class="team-banner" id="team-banner" role="alert">
      <strong>The team file has errors</strong>{" "}
      <span>
        (edit refused at{" "}
        <time datetime={t.iso}>{t.text}</time>): Glassbox still runs the previous team, version{" "}
        <code>{error.version}</code>. Fix the file and save it again.
      </span>
      <details>
        <summary>Problems</summary>
        <pre>{error.message}</pre>
      </details>
    </div>
  );
}
