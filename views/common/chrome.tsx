/**
 * What every page's header has: the brand, the page links, the default agent's model, and —
 * when the team file's last edit was refused — a banner saying so (the previous team keeps
 * running) with the problems.
 */
import type { Child } from "hono/jsx";
import { ModelBadge } from "./badges.tsx";
import { formatClock } from "./format.ts";

export type PageName = "chat" | "calls" | "agents";

const PAGES: [PageName, string, string][] = [
  ["chat", "/", "Chat"],
  ["calls", "/calls", "LLM calls"],
  ["agents", "/agents", "Agents"],
];

export function Topbar(
  props: { current: PageName; model: string; demo: boolean; tagline?: boolean; children?: Child },
) {
  return (
    <header class="topbar">
      <a class="brand" href="/">
        <span class="brand-mark" aria-hidden="true"></span>Glassbox
      </a>
      {props.tagline ? <span class="tagline">Watch AI agents answer</span> : null}
      <TopNav current={props.current} />
      <ModelBadge model={props.model} demo={props.demo} />
      {props.children}
    </header>
  );
}

function TopNav({ current }: { current: PageName }) {
  return (
    <nav class="topnav" aria-label="Pages">
      {PAGES.map(([name, href, label]) => (
        <a href={href} aria-current={name === current ? "page" : undefined}>{label}</a>
      ))}
    </nav>
  );
}

/** The last refused edit of the team file: when, the version still running, every problem. */
export interface TeamErrorView {
  at: number;
  version: string;
  message: string;
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
