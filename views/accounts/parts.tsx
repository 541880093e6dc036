/** Small pieces the account, keys and admin pages share. */
import type { Child } from "hono/jsx";
import { formatWhen } from "../common/format.ts";

/** What a page says after a form (what was done, or what went wrong), and its clock. */
export interface PageNotes {
  ok?: string | null;
  error?: string | null;
  now?: number;
}

/** The page's heading, a line about it, and the message after a form. */
export function PageHead(props: PageNotes & { title: string; children?: Child }) {
  return (
    <>
      <div class="calls-head">
        <h1>{props.title}</h1>
        <p class="calls-sub">{props.children}</p>
      </div>
      {props.ok ? <p class="notice notice-ok" role="status">{props.ok}</p> : null}
      {props.error ? <p class="notice notice-error" role="alert">{props.error}</p> : null}
    </>
  );
}

export function When({ at, now }: { at: Date | null; now: number }) {
  if (!at) return <span class="muted">never</span>;
  const w = formatWhen(at, now);
  return <time datetime={w.iso} title={w.iso}>{w.text}</time>;
}

/** A POST button in its own small form (one action per button, no JS needed). */
export function ActionButton(
  props: {
    action: string;
    label: string;
    danger?: boolean;
    /** Asked before sending (static/app.js). */
    confirm?: string;
    fields?: Record<string, string>;
  },
) {
  return (
    <form method="post" action={props.action} class="inline-form">
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <button
        type="submit"
        class={props.danger ? "btn btn-small btn-stop" : "btn btn-small"}
        data-confirm={props.confirm}
      >
        {props.label}
      </button>
    </form>
  );
}

/** A browser's user agent in a few words ("Chrome on Linux"), the whole string as its title. */
export function Device({ userAgent }: { userAgent: string }) {
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
    ? "Firefox"
    : /Chrome\//.test(userAgent)
    ? "Chrome"
    : /Safari\//.test(userAgent)
    ? "Safari"
    : userAgent
    ? "Other"
    : "Unknown";
  const os = /Windows/.test(userAgent)
    ? " on Windows"
    : /Mac OS X/.test(userAgent)
    ? " on macOS"
    : /Android/.test(userAgent)
    ? " on Android"
    : /Linux/.test(userAgent)
    ? " on Linux"
    : "";
  return <span title={userAgent}>{browser}{os}</span>;
}

/** A field for a new password: what the browser should offer, and the minimum length. */
export function NewPassword(props: { label?: string; required?: boolean }) {
  return (
    <input
      type="password"
      name="password"
      autocomplete="new-password"
      minlength={12}
      required={props.required ?? true}
      aria-label={props.label}
    />
  );
}
