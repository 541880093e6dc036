/**
 * GET /logs: the logs explorer. A GET form of filters (so the filter is the URL), the live tail
 * above the stored history in one table, newest first: live rows arrive over SSE into
 * `#log-live` (hx-sse, static/app.js holds them back while paused), the history is the first
 * page of stored records with a link to older ones. Every row links to its run in its
 * conversation (or, for a request record, to the records of that request). Pure components of
 * plain data: messages and properties are text children, escaped by hono/jsx.
 */
import type { LogKind, LogRecordRow } from "../../db/log_records.ts";
import type { LogLevel } from "../../agents/spine/events.ts";
import { ids as runIds } from "../run/dom_ids.ts";
import { type PageChrome, PageShell } from "../common/chrome.tsx";
import { renderDocument } from "../common/layout.tsx";

/** The filters as the form shows them ("" = not set), in query-string names. */
export interface LogsFilterView {
  level: string;
  kind: string;
  agent: string;
  run_id: string;
  conversation_id: string;
  user_id: string;
  request_id: string;
  from: string;
  to: string;
  q: string;
}

export const EMPTY_FILTER: LogsFilterView = {
  level: "",
  kind: "",
  agent: "",
  run_id: "",
  conversation_id: "",
  user_id: "",
  request_id: "",
  from: "",
  to: "",
  q: "",
};

const LEVELS = new Set(["trace", "debug", "info", "warning", "error", "fatal"]);

export interface LogsPageProps extends PageChrome {
  /** The choices of the level and kind selects. */
  levels: readonly LogLevel[];
  kinds: readonly LogKind[];
  filter: LogsFilterView;
  /** A bad filter, said in words (the page is then a 400). */
  problem: string | null;
  /** Admins: everyone they can filter by; members: null. */
  users: { id: string; label: string }[] | null;
  rows: LogRecordRow[];
  /** The live tail's URL, or null when the filter can match no live record. */
  liveUrl: string | null;
  olderUrl: string | null;
  newestUrl: string | null;
  /** The export links' query (the filter). */
  exportQuery: string;
  /** Admins get the Clear… control (prefilled with the filter's run or conversation). */
  canClear?: boolean;
  /** After a clear: how many records went. */
  cleared?: number | null;
}

/** What the clear's confirm step shows (GET /logs/clear), before it posts to the API. */
export interface LogsClearConfirmProps extends PageChrome {
  /** The checked target's fields, posted as they are. */
  fields: Record<string, string>;
  /** "run 1234…", "conversation …", "older than 2026-…". */
  what: string;
  count: number;
  /** Why the target is not one (the form again, as a 400). */
  problem: string | null;
}

export function LogsPage(props: LogsPageProps): string {
  return renderDocument(
    <PageShell {...props} title="Logs · Glassbox" current="logs">
      <div class="calls-head">
        <h1>Logs</h1>
        <p class="calls-sub">
          Every run's log records and every request, live and stored. Search the words of messages
          and properties; the filter is the address of this page.
        </p>
      </div>
      <LogsFilterForm {...props} />
      {props.problem ? <p class="notice notice-error" role="alert">{props.problem}</p> : null}
      {props.cleared != null
        ? (
          <p class="notice notice-ok" role="status" id="logs-cleared">
            Cleared {props.cleared} {props.cleared === 1 ? "record" : "records"}.
          </p>
        )
        : null}
      {props.canClear ? <LogsClearForm filter={props.filter} /> : null}
      <section class="panel logs-list" aria-labelledby="h-logs">
        <div class="panel-head">
          <h2 id="h-logs">Records · newest first</h2>
          {props.liveUrl
            ? (
              <button
                type="button"
                class="btn btn-small"
                id="logs-follow"
                aria-pressed="true"
                data-state="following"
              >
                Pause
              </button>
            )
            : (
              <span class="muted" id="logs-history-only">
                History only (no live records match)
              </span>
            )}
          <span class="logs-exports muted">
            Export: {(["csv", "json", "ndjson"] as const).map((f) => (
              <>
                <a key={f} href={`/api/v1/exports/logs?format=${f}${props.exportQuery}`}>{f}</a>
                {" "}
              </>
            ))}
          </span>
        </div>
        <div class="table-scroll">
          <table class="data-table logs-table" id="logs-table">
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                <th scope="col">Level</th>
                <th scope="col">Source</th>
                <th scope="col">Message</th>
                <th scope="col">Links</th>
              </tr>
            </thead>
            <tbody id="log-live" data-keep="1000"></tbody>
            <tbody id="log-rows">
              {props.rows.map((r) => <LogRecordTr key={r.id} r={r} />)}
            </tbody>
          </table>
        </div>
        {props.rows.length === 0
          ? <p class="muted logs-empty" id="logs-empty">No stored records match.</p>
          : null}
        {props.liveUrl
          ? <div id="logs-live" hidden hx-sse:connect={props.liveUrl} hx-swap="none"></div>
          : null}
        <nav class="calls-pager" aria-label="Pages of records">
          {props.newestUrl ? <a href={props.newestUrl} rel="first">← Newest</a> : <span></span>}
          {props.olderUrl ? <a href={props.olderUrl} rel="next" class="btn">Older →</a> : null}
        </nav>
      </section>
    </PageShell>,
  );
}

/** Admins: clear a run's, a conversation's or older records; the next page asks to confirm. */
function LogsClearForm({ filter }: { filter: LogsFilterView }) {
  return (
    <details class="panel logs-clear" id="logs-clear">
      <summary>Clear…</summary>
      <form method="get" action="/logs/clear" class="calls-filters">
        <p class="muted">
          Delete log records for good: one run's, one conversation's, or everything older than a
          date (UTC). Give one of them; the next step says how many records go and asks to confirm.
          Clears are in the audit log.
        </p>
        <label>
          <span>Run id</span>
          <input name="run_id" value={filter.run_id} size={36} />
        </label>
        <label>
          <span>Conversation id</span>
          <input name="conversation_id" value={filter.conversation_id} size={36} />
        </label>
        <label>
          <span>Older than</span>
          <input name="before" type="datetime-local" />
        </label>
        <div class="calls-filter-actions">
          <button type="submit" class="btn btn-stop">Clear…</button>
        </div>
      </form>
    </details>
  );
}

export function LogsClearConfirmPage(props: LogsClearConfirmProps): string {
  return renderDocument(
    <PageShell {...props} title="Clear logs · Glassbox" current="logs">
      <div class="calls-head">
        <h1>Clear log records</h1>
      </div>
      {props.problem
        ? (
          <>
            <p class="notice notice-error" role="alert">{props.problem}</p>
            <p>
              <a class="btn" href="/logs">Back to the logs</a>
            </p>
          </>
        )
        : (
          <section class="panel" id="logs-clear-confirm">
            <p>
              This deletes <strong id="logs-clear-count">{props.count}</strong>{" "}
              {props.count === 1 ? "record" : "records"}{" "}
              ({props.what}) for good, and records the clear in the audit log.
            </p>
            <form method="post" action="/api/v1/logs/clear" class="inline-form">
              {Object.entries(props.fields).map(([name, value]) => (
                <input key={name} type="hidden" name={name} value={value} />
              ))}
              <button type="submit" class="btn btn-stop" id="logs-clear-go">
                Delete {props.count} {props.count === 1 ? "record" : "records"}
              </button>
            </form>{" "}
            <a class="btn" href="/logs">Cancel</a>
          </section>
        )}
    </PageShell>,
  );
}

function LogsFilterForm(props: LogsPageProps) {
  const f = props.filter;
  const text = (name: keyof LogsFilterView, label: string, placeholder: string, size = 20) => (
    <label>
      <span>{label}</span>
      <input name={name} value={f[name]} placeholder={placeholder} size={size} />
    </label>
  );
  return (
    <form class="panel calls-filters logs-filters" method="get" action="/logs" role="search">
      <label class="f-q">
        <span>Search</span>
        <input
          type="search"
          name="q"
          value={f.q}
          placeholder={`words, "a phrase", -not`}
          size={28}
        />
      </label>
      <label>
        <span>Level</span>
        <select name="level">
          <option value="" selected={f.level === ""}>Any</option>
          {props.levels.map((l) => (
            <option key={l} value={l} selected={l === f.level}>{l} and up</option>
          ))}
        </select>
      </label>
      <label>
        <span>Kind</span>
        <select name="kind">
          <option value="" selected={f.kind === ""}>Runs and requests</option>
          {props.kinds.map((k) => (
            <option key={k} value={k} selected={k === f.kind}>
              {k === "run" ? "Run logs" : "Requests"}
            </option>
          ))}
        </select>
      </label>
      {text("agent", "Agent", "any agent", 14)}
      {props.users
        ? (
          <label>
            <span>User</span>
            <select name="user_id">
              <option value="" selected={f.user_id === ""}>Anyone</option>
              {props.users.map((u) => (
                <option key={u.id} value={u.id} selected={u.id === f.user_id}>{u.label}</option>
              ))}
            </select>
          </label>
        )
        : null}
      {text("run_id", "Run id", "any run (uuid)", 36)}
      {text("conversation_id", "Conversation id", "any conversation (uuid)", 36)}
      {text("request_id", "Request id", "any request", 24)}
      <label>
        <span>From (UTC)</span>
        <input type="datetime-local" name="from" value={localValue(f.from)} step="1" />
      </label>
      <label>
        <span>To (UTC)</span>
        <input type="datetime-local" name="to" value={localValue(f.to)} step="1" />
      </label>
      <div class="calls-filter-actions">
        <button type="submit" class="btn btn-primary">Apply</button>
        <a class="btn" href="/logs">Clear</a>
      </div>
    </form>
  );
}

/** A datetime-local input's value for an ISO instant (UTC, to the second). */
function localValue(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? "" : new Date(t).toISOString().slice(0, 19);
}

/** One record as a table row (history and live rows alike). */
export function LogRecordTr({ r }: { r: LogRecordRow }) {
  const iso = r.at.toISOString();
  const level = LEVELS.has(r.level) ? r.level : "info";
  const props = Object.keys(r.properties).length ? JSON.stringify(r.properties) : "";
  return (
    <tr class={`log-record level-${level}`} id={`log-${r.id}`} data-id={String(r.id)}>
      <td class="log-time">
        {r.runId && r.conversationId
          ? (
            <a href={`/c/${r.conversationId}#${runIds.turn(r.runId)}`} title="This run">
              <time datetime={iso}>{iso.slice(0, 23).replace("T", " ")}</time>
            </a>
          )
          : <time datetime={iso}>{iso.slice(0, 23).replace("T", " ")}</time>}
      </td>
      <td>
        <span class={`log-level`}>{level === "warning" ? "warn" : level}</span>
      </td>
      <td class="log-source">{r.agent ?? r.category}</td>
      <td class="log-message">
        <span class="log-msg">{r.message}</span>
        {props ? <code class="log-props">{props}</code> : null}
      </td>
      <td class="log-links">
        {r.runId
          ? <a href={`/logs?run_id=${r.runId}`} title="Every record of this run">run</a>
          : null}
        {r.requestId
          ? (
            <a href={`/logs?request_id=${encodeURIComponent(r.requestId)}`} title={r.requestId}>
              request
            </a>
          )
          : null}
      </td>
    </tr>
  );
}
