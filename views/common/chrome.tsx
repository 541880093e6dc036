/**
 * What every page's header shares: the navigation (admin pages only for admins), who is signed
 * in with a sign-out button, the model badge, and the page shell that the LLM calls, keys,
 * account and admin pages sit in. Pure components of plain data.
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

const NAV: { item: NavItem; href: string; label: string; admin?: true }[] = [
  { item: "chat", href: "/", label: "Chat" },
  { item: "calls", href: "/calls", label: "LLM calls" },
  { item: "keys", href: "/keys", label: "API keys" },
  { item: "account", href: "/account", label: "Account" },
  { item: "users", href: "/admin/users", label: "Users", admin: true },
  { item: "sign-ins", href: "/admin/sign-ins", label: "Sign-ins", admin: true },
  { item: "audit", href: "/admin/audit", label: "Audit log", admin: true },
];

export function TopNav(props: { current?: NavItem; viewer: ViewerView }) {
  return (
    <nav class="topnav" aria-label="Pages">
      {NAV.filter((n) => !n.admin || props.viewer.role === "admin").map((n) => (
        <a key={n.item} href={n.href} aria-current={n.item === props.current ? "page" : undefined}>
          {n.label}
        </a>
      ))}
    </nav>
  );
}

/** Who is signed in, and the way out. */
export function WhoAmI({ viewer }: { viewer: ViewerView }) {
  return (
    <span class="whoami">
      <span class="whoami-name" title={viewer.role}>
        {viewer.label}
        {viewer.role === "admin" ? <span class="badge badge-role">admin</span> : null}
      </span>
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
          <WhoAmI viewer={props.viewer} />
        </header>
        <main class="calls-main" id="main">{props.children}</main>
      </div>
    </Layout>
  );
}
