/**
 * What every page's header shares: the navigation (the admin pages only for admins, with their
 * own tabs), who is signed in (a link to their account) with a sign-out button, the model
 * badge, and the page shell that the LLM calls, keys, account and admin pages sit in. Pure
 * components of plain data.
 */
import type { Child } from "hono/jsx";
import type { Role } from "../../db/users.ts";
import { ModelBadge } from "./badges.tsx";
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
  /** The configured model, shown in the header. */
  model: string;
  demo: boolean;
  viewer: ViewerView;
  /** The open-mode warning (GLASSBOX_AUTH=off), or null. */
  warning: string | null;
}

export type NavItem = "chat" | "calls" | "keys" | "account" | "users" | "sign-ins" | "audit";

const NAV: { items: NavItem[]; href: string; label: string; admin?: true }[] = [
  { items: ["chat"], href: "/", label: "Chat" },
  { items: ["calls"], href: "/calls", label: "LLM calls" },
  { items: ["keys"], href: "/keys", label: "API keys" },
  { items: ["users", "sign-ins", "audit"], href: "/admin/users", label: "Admin", admin: true },
];

const ADMIN_TABS: { item: NavItem; href: string; label: string }[] = [
  { item: "users", href: "/admin/users", label: "Users" },
  { item: "sign-ins", href: "/admin/sign-ins", label: "Sign-ins" },
  { item: "audit", href: "/admin/audit", label: "Audit log" },
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
