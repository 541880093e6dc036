/**
 * The logs explorer's filter, one for the page, the API, the live tails and the exports: the
 * query string's schema (empty values mean "any", so a plain GET form works), the db filter it
 * becomes, and the same filter applied to live records in memory.
 *
 * Live records are matched without the database: level, kind, request id, agent, run, conversation (from
 * the run's RUN_STARTED, in its journal) and time exactly; the text search by words — every word
 * must occur in the message or properties, `-word` must not, `"a phrase"` as written, case
 * ignored — which approximates Postgres' websearch_to_tsquery (no `or`, no stemming, and a word
 * may match inside a longer one).
 */
import { z } from "zod/v4";
import type { LogLevel, LogValue, RunEvent } from "../agents/spine/events.ts";
import type { RunJournal } from "../agents/spine/journal.ts";
import { storable } from "../agents/spine/text.ts";
import { LOG_KINDS, LOG_LEVELS, type LogFilter } from "../db/log_records.ts";
import { UUID_RE } from "../db/uuid.ts";
import type { OwnerScope } from "../db/owner.ts";

const uuid = (what: string) => z.string().regex(UUID_RE, `must be a ${what} id (a UUID)`);
const text = (max: number) =>
  z.string().max(max, `must be at most ${max} characters`).transform(storable);
const instant = z.string().max(40).refine(
  (s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)),
  "must be a date and time, e.g. 2026-12-01T13:00:00Z (without a zone: UTC)",
).transform((s) => new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(s) || s.length <= 10 ? s : `${s}Z`));

/** The filter fields, shared by every logs route (each adds its own paging or format). */
export const LOG_FILTER_FIELDS = {
  level: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]], {
    message: `must be one of ${LOG_LEVELS.join(", ")}`,
  }).optional().describe("this level and above"),
  kind: z.enum(LOG_KINDS, {
    message: `must be one of ${LOG_KINDS.join(", ")}`,
  }).optional().describe("run: a run's log records; http: request records"),
  agent: text(200).optional(),
  run_id: uuid("run").optional(),
  conversation_id: uuid("conversation").optional(),
  user_id: uuid("user").optional().describe("an admin's filter to one user"),
  request_id: text(128).optional(),
  from: instant.optional().describe("inclusive, ISO 8601"),
  to: instant.optional().describe("exclusive, ISO 8601"),
  q: text(500).optional().describe("full-text search over message and properties"),
};

export const LogFilterQuery = z.object(LOG_FILTER_FIELDS).strict();
export type LogFilterInput = z.infer<typeof LogFilterQuery>;

export const LogListQuery = z.object({
  ...LOG_FILTER_FIELDS,
  limit: z.string().regex(/^\d{1,4}$/, "must be a whole number from 1 to 1000")
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1000, "must be a whole number from 1 to 1000")
    .optional(),
  cursor: z.string().max(200, "is not a valid page cursor").optional(),
}).strict();

/** The query string without empty values (a GET form sends every field). */
export function nonEmpty(query: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(query).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== ""),
  );
}

/** The db filter of a checked query, within the viewer's scope. */
export function logFilter(q: LogFilterInput, scope: OwnerScope): LogFilter {
  return {
    scope,
    level: q.level,
    kind: q.kind,
    agent: q.agent,
    runId: q.run_id,
    conversationId: q.conversation_id,
    requestId: q.request_id,
    from: q.from,
    to: q.to,
    q: q.q,
  };
}

/** The filter's fields as query-string pairs (for links that keep it). */
export function filterParams(q: Partial<LogFilterInput>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === "") continue;
    out[k] = v instanceof Date ? v.toISOString() : String(v);
  }
  return out;
}

/** Whether a live record can match at all: a range that ended is history only. */
export function liveable(f: LogFilter, now = Date.now()): boolean {
  return f.to === undefined || f.to.getTime() > now;
}

/** The filter applied to one live log event (its scope is the hub topic's business). */
export function liveMatcher(
  f: LogFilter,
  journalOf: (runId: string) => RunJournal | undefined,
): (ev: RunEvent) => boolean {
  const levels = f.level === undefined
    ? null
    : new Set(LOG_LEVELS.slice(LOG_LEVELS.indexOf(f.level)));
  const terms = f.q ? searchTerms(f.q) : [];
  return (ev) => {
    const v = (ev.event as { value?: LogValue & { kind?: string; requestId?: string } }).value;
    if (!v) return false;
    // Request records (routes/request_tail.ts) carry their kind and id; a run's have neither.
    if (f.kind !== undefined && (v.kind === "http" ? "http" : "run") !== f.kind) return false;
    if (f.requestId !== undefined && v.requestId !== f.requestId) return false;
    if (levels && !levels.has(v.level)) return false;
    if (f.agent !== undefined && v.agent !== f.agent) return false;
    if (f.runId !== undefined && ev.runId !== f.runId) return false;
    if (f.from !== undefined && v.timestamp < f.from.getTime()) return false;
    if (f.to !== undefined && v.timestamp >= f.to.getTime()) return false;
    if (
      f.conversationId !== undefined && conversationOfRun(journalOf(ev.runId)) !== f.conversationId
    ) {
      return false;
    }
    if (terms.length === 0) return true;
    const hay = `${v.message} ${v.properties ? JSON.stringify(v.properties) : ""}`.toLowerCase();
    return terms.every((t) => hay.includes(t.text) !== t.not);
  };
}

/** An active run's conversation: its RUN_STARTED's thread. */
export function conversationOfRun(journal: RunJournal | undefined): string | undefined {
  const first = journal?.events[0]?.event as { threadId?: string } | undefined;
  return first?.threadId;
}

/** Words, "phrases" and -exclusions, lower-cased; `or` is dropped. */
export function searchTerms(q: string): { text: string; not: boolean }[] {
  const out: { text: string; not: boolean }[] = [];
  for (const m of q.toLowerCase().matchAll(/(-?)"([^"]*)"|(-?)(\S+)/g)) {
    const not = (m[1] ?? m[3]) === "-";
    const word = (m[2] ?? m[4] ?? "").trim();
    if (word === "" || (m[4] !== undefined && word === "or")) continue;
    out.push({ text: word, not });
  }
  return out;
}
