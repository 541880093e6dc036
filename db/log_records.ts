/**
 * The log_records table: the searchable history of the logs explorer. Run records are a
 * projection of the spine's `glassbox.log` events (same id, written with them by the batched
 * writer); HTTP request records are written in batches by the request log. Every query takes an
 * OwnerScope: a member sees their own records, an admin everyone's (records of signed-out
 * requests have no owner and are an admin's only).
 */
import type { Sql } from "./client.ts";
import { ownedBy, type OwnerScope } from "./owner.ts";
import { UUID_RE } from "./uuid.ts";
import type { LogLevel, LogValue, RunEvent } from "../agents/spine/events.ts";

export const LOG_LEVELS: readonly LogLevel[] = [
  "trace",
  "debug",
  "info",
  "warning",
  "error",
  "fatal",
];
export const LOG_KINDS = ["run", "http"] as const;
export type LogKind = typeof LOG_KINDS[number];

export interface LogRecordRow {
  id: number;
  at: Date;
  kind: LogKind;
  level: LogLevel;
  userId: string | null;
  runId: string | null;
  conversationId: string | null;
  agent: string | null;
  category: string;
  message: string;
  properties: Record<string, unknown>;
  requestId: string | null;
}

/** One HTTP request as the request log records it. */
export interface HttpRecord {
  /** Its id when the live tail gave it one (routes/request_tail.ts); else the sequence's next. */
  id?: number;
  at: Date;
  requestId: string;
  userId: string | null;
  method: string;
  path: string;
  status: number;
  durationMs: number;
}

export interface LogFilter {
  scope: OwnerScope;
  /** This level and the ones above it. */
  level?: LogLevel;
  kind?: LogKind;
  agent?: string;
  runId?: string;
  conversationId?: string;
  requestId?: string;
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** Full-text search over message and properties (websearch syntax: words, "phrases", -not, or). */
  q?: string;
}

/** A bad cursor or limit: the caller's mistake (an HTTP 400). */
export class LogQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LogQueryError";
  }
}

const ROWS_PER_INSERT = 2000;

/** Copies the log events of a batch into log_records, with their run's owner and conversation. */
export async function insertRunLogs(sql: Sql, batch: RunEvent[]): Promise<void> {
  const logs = batch.filter((e) => e.event.type === "CUSTOM" && e.event.name === "glassbox.log");
  for (let i = 0; i < logs.length; i += ROWS_PER_INSERT) {
    const rows = logs.slice(i, i + ROWS_PER_INSERT).map((e) => {
      const v = (e.event as { value: LogValue }).value;
      return {
        id: e.id,
        at: new Date(Number.isFinite(v.timestamp) ? v.timestamp : e.createdAt).toISOString(),
        run_id: e.runId,
        level: LOG_LEVELS.includes(v.level) ? v.level : "info",
        agent: v.agent,
        category: v.category ?? "",
        message: v.message ?? "",
        properties: v.properties ?? {},
      };
    });
    // deno-lint-ignore no-explicit-any
    const json = sql.json(rows as any);
    await sql`
      INSERT INTO log_records (id, at, kind, level, user_id, run_id, conversation_id, agent,
        category, message, properties)
      SELECT x.id, x.at, 'run', x.level, r.user_id, r.id, r.conversation_id, x.agent, x.category,
        x.message, x.properties
      FROM jsonb_to_recordset(${json}) AS x(id bigint, at timestamptz, run_id uuid, level text,
        agent text, category text, message text, properties jsonb)
      JOIN runs r ON r.id = x.run_id
      ON CONFLICT (id) DO NOTHING`;
  }
}

/** The level an HTTP record is logged at: 5xx error, 4xx warning, else info. */
export function httpLevel(status: number): LogLevel {
  return status >= 500 ? "error" : status >= 400 ? "warning" : "info";
}

export function httpMessage(r: HttpRecord): string {
  return `${r.method} ${r.path} ${r.status} ${Math.round(r.durationMs)} ms`;
}

export async function insertHttpRecords(sql: Sql, records: HttpRecord[]): Promise<void> {
  // One INSERT has one column list: records with an id and those without go separately.
  const withId = records.filter((r) => r.id !== undefined);
  const without = records.filter((r) => r.id === undefined);
  for (const part of [withId, without]) await insertHttpPart(sql, part);
}

async function insertHttpPart(sql: Sql, records: HttpRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += ROWS_PER_INSERT) {
    const rows = records.slice(i, i + ROWS_PER_INSERT).map((r) => ({
      ...(r.id !== undefined && { id: r.id }),
      at: r.at,
      kind: "http",
      level: httpLevel(r.status),
      user_id: r.userId,
      category: "glassbox.http",
      message: httpMessage(r),
      properties: sql.json({
        method: r.method,
        path: r.path,
        status: r.status,
        duration_ms: Math.round(r.durationMs * 10) / 10,
      }),
      request_id: r.requestId,
    }));
    await sql`INSERT INTO log_records ${sql(rows)}`;
  }
}

export const LOG_COLUMNS = [
  "id",
  "at",
  "kind",
  "level",
  "user_id",
  "run_id",
  "conversation_id",
  "agent",
  "category",
  "message",
  "properties",
  "request_id",
];

/** The WHERE clause of a filter (scope included), for pages and exports alike. */
export function logWhere(sql: Sql, f: LogFilter) {
  for (const [name, v] of [["run_id", f.runId], ["conversation_id", f.conversationId]]) {
    if (v !== undefined && !UUID_RE.test(v)) throw new LogQueryError(`${name} is not a UUID`);
  }
  const levels = f.level === undefined ? null : LOG_LEVELS.slice(LOG_LEVELS.indexOf(f.level));
  return sql`
    WHERE TRUE ${ownedBy(sql, f.scope)}
      ${levels ? sql`AND level IN ${sql(levels)}` : sql``}
      ${f.kind !== undefined ? sql`AND kind = ${f.kind}` : sql``}
      ${f.agent !== undefined ? sql`AND agent = ${f.agent}` : sql``}
      ${f.runId !== undefined ? sql`AND run_id = ${f.runId}` : sql``}
      ${f.conversationId !== undefined ? sql`AND conversation_id = ${f.conversationId}` : sql``}
      ${f.requestId !== undefined ? sql`AND request_id = ${f.requestId}` : sql``}
      ${f.from !== undefined ? sql`AND at >= ${f.from}` : sql``}
      ${f.to !== undefined ? sql`AND at < ${f.to}` : sql``}
      ${f.q ? sql`AND search @@ websearch_to_tsquery('simple', ${splitWords(f.q)})` : sql``}`;
}

/** What migration 006 does to indexed text: these characters separate words. */
const SEARCH_SPLIT = /[/.:=@]/g;
function splitWords(q: string): string {
  return q.replace(SEARCH_SPLIT, " ");
}

/** Newest first, keyset-paginated on (at, id); nextCursor is null on the last page. */
export async function listLogRecords(
  sql: Sql,
  f: LogFilter & { limit?: number; cursor?: string },
): Promise<{ items: LogRecordRow[]; nextCursor: string | null }> {
  const limit = f.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new LogQueryError("limit must be a whole number from 1 to 1000");
  }
  const before = f.cursor === undefined ? null : decodeCursor(f.cursor);
  const rows = await sql`
    SELECT ${sql(LOG_COLUMNS)}, (extract(epoch FROM at) * 1000000)::bigint AS at_us
    FROM log_records ${logWhere(sql, f)}
      ${before ? beforeCursor(sql, before) : sql``}
    ORDER BY at DESC, id DESC
    LIMIT ${limit + 1}`;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toRow),
    nextCursor: rows.length > limit && last ? encodeCursor(Number(last.at_us), last.id) : null,
  };
}

/**
 * The cursor carries `at` in whole microseconds (Postgres' precision), so rows within one
 * millisecond are neither skipped nor repeated.
 */
function beforeCursor(sql: Sql, c: { us: number; id: number }) {
  const t = sql`('epoch'::timestamptz + ${c.us}::float8 * interval '1 microsecond')`;
  // The plain range lets the (…, at, id) indexes narrow the scan; the row comparison breaks ties.
  return sql`AND at <= ${t} AND (at, id) < (${t}, ${c.id})`;
}

/** Opaque to clients: base64url of [at in µs, id]. */
function encodeCursor(us: number, id: number): string {
  return btoa(JSON.stringify([us, id])).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): { us: number; id: number } {
  try {
    const [us, id] = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
    if (Number.isSafeInteger(us) && Number.isSafeInteger(id)) return { us, id };
  } catch { /* reported below */ }
  throw new LogQueryError("invalid cursor");
}

// deno-lint-ignore no-explicit-any
export function toRow(r: Record<string, any>): LogRecordRow {
  return {
    id: Number(r.id),
    at: r.at,
    kind: r.kind,
    level: r.level,
    userId: r.user_id,
    runId: r.run_id,
    conversationId: r.conversation_id,
    agent: r.agent,
    category: r.category,
    message: r.message,
    properties: r.properties ?? {},
    requestId: r.request_id,
  };
}

/** The newest stored request records after `afterId` in the scope, oldest first (a tail's backlog). */
export async function recentHttpRecords(
  sql: Sql,
  scope: OwnerScope,
  limit: number,
  afterId: number,
): Promise<LogRecordRow[]> {
  const rows = await sql`
    SELECT ${sql(LOG_COLUMNS)} FROM log_records
    WHERE kind = 'http' AND id > ${afterId} ${ownedBy(sql, scope)}
    ORDER BY id DESC LIMIT ${limit}`;
  return rows.map(toRow).reverse();
}

/** The newest stored request record's id (the page's history shows it; its tail starts after). */
export async function latestHttpLogId(sql: Sql): Promise<number> {
  const [row] = await sql`SELECT max(id) AS id FROM log_records WHERE kind = 'http'`;
  return Number(row?.id ?? 0);
}

/** The newest stored run record's id: where a live tail that follows a first page starts. */
export async function latestRunLogId(sql: Sql): Promise<number> {
  const [row] = await sql`SELECT max(id) AS id FROM log_records WHERE kind = 'run'`;
  return Number(row?.id ?? 0);
}
