/**
 * The logs API, on the runs and requests the caller may see (their own; an admin's: everyone's,
 * or one user's with ?user_id=):
 * - GET /api/v1/logs — the stored history, newest first, filtered (routes/log_query.ts) and
 *   cursor-paginated;
 * - GET /api/v1/runs/:id/logs — one run's records (404 for a run the caller may not see);
 * - GET /api/v1/logs/stream — the live tail (SSE, resumable), with the same filters;
 * - POST /api/v1/logs/clear — an admin clears a run's records, a conversation's, or everything
 *   older than a date (audited).
 */
import { type Context, Hono } from "hono";
import { z } from "zod/v4";
import { CUSTOM, customName, type RunEvent } from "../../agents/spine/events.ts";
import { LOGS_TOPIC, ownerLogsTopic } from "../../agents/spine/journal.ts";
import { encodeJsonEnvelope, sseFrame } from "../../agents/spine/sse.ts";
import { audit } from "../../auth/audit.ts";
import { isAdmin, ownerScope } from "../../auth/viewer.ts";
import { deleteLogBatch, type LogTarget } from "../../db/retention.ts";
import { clientIp } from "../security.ts";
import { recentLogEvents } from "../../db/events.ts";
import {
  listLogRecords,
  type LogFilter,
  LogQueryError,
  type LogRecordRow,
  recentHttpRecords,
} from "../../db/log_records.ts";
import { EVERYONE, inScope, type OwnerScope } from "../../db/owner.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { viewerOf } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../errors.ts";
import { liveable, liveMatcher, LOG_FILTER_FIELDS, logFilter, LogListQuery } from "../log_query.ts";
import { resumeAfter, runVisible, sseResponse, subscriberLabel } from "../run_stream.ts";
import { isRequestEvent, storedRequestEvent } from "../request_tail.ts";
import { check, validQuery } from "../validate.ts";

const BACKLOG = 200;
/** Where a member asking for someone else's tail listens: nothing is ever published there. */
const NOBODYS_LOGS = "logs:nobody";
export const LogsStreamQuery = z.object({ ...LOG_FILTER_FIELDS, after: z.string().optional() })
  .strict();
export const RunLogsQuery = LogListQuery.omit({ run_id: true, user_id: true });
const CLEAR_BATCH = 5000;

/**
 * A resumed tail that had more records after its cursor than the backlog holds says so first:
 * SSE `event: skipped`, with the id of the oldest record that follows (older ones are in
 * GET /api/v1/logs).
 */
const sseSkippedNotice = (oldestShown: number) =>
  new TextEncoder().encode(
    sseFrame({
      event: "skipped",
      data: JSON.stringify({ skipped: true, oldest_shown: oldestShown }),
    }),
  );
export const LogsClearBody = z.object({
  run_id: LOG_FILTER_FIELDS.run_id,
  conversation_id: LOG_FILTER_FIELDS.conversation_id,
  before: LOG_FILTER_FIELDS.from,
}).strict().refine(
  (b) => [b.run_id, b.conversation_id, b.before].filter((v) => v !== undefined).length === 1,
  "give exactly one of run_id, conversation_id, before",
);

export function logsApi(deps: AppDeps): Hono {
  const app = new Hono();
  const { sql } = deps.db;

  app.get("/logs", validQuery(LogListQuery), async (c) => {
    const q = c.req.valid("query");
    const filter = logFilter(q, ownerScope(viewerOf(c), q.user_id));
    return await page(
      c,
      () => listLogRecords(sql, { ...filter, limit: q.limit, cursor: q.cursor }),
    );
  });

  app.get("/runs/:id/logs", async (c) => {
    const id = c.req.param("id");
    const scope = ownerScope(viewerOf(c));
    if (!UUID_RE.test(id) || !(await runVisible(deps, scope, id))) {
      return apiError(c, 404, "not_found", `run ${id} not found`);
    }
    const checked = check(RunLogsQuery, c.req.query());
    if (!checked.ok) return apiError(c, 400, "invalid_query", checked.message);
    const q = checked.value;
    const filter = { ...logFilter(q, scope), runId: id };
    return await page(
      c,
      () => listLogRecords(sql, { ...filter, limit: q.limit, cursor: q.cursor }),
    );
  });

  app.get("/logs/stream", validQuery(LogsStreamQuery), async (c) => {
    const q = c.req.valid("query");
    const after = resumeAfter(c.req.header("last-event-id"), q.after);
    if (after === null) {
      return apiError(c, 400, "invalid_last_event_id", "Last-Event-ID must be an event id");
    }
    const viewer = viewerOf(c);
    const filter = logFilter(q, ownerScope(viewer, q.user_id));
    return sseResponse(
      await followLogs(deps, filter, after, encodeJsonEnvelope, {
        skippedNotice: sseSkippedNotice,
        label: subscriberLabel("sse_json", viewer.userId),
      }),
    );
  });
  // Admins only, audited: a run's records, a conversation's, or everything older than a date.
  // The body is JSON, or a form (the same fields).
  app.post("/logs/clear", async (c) => {
    const viewer = viewerOf(c);
    if (!isAdmin(viewer)) return apiError(c, 403, "forbidden", "Only an admin may clear logs.");
    const type = c.req.header("content-type") ?? "";
    let body: unknown;
    try {
      body = type.includes("application/json") ? await c.req.json() : await c.req.parseBody();
    } catch {
      return apiError(c, 400, "invalid_json", "the body is not valid JSON");
    }
    const checked = check(LogsClearBody, body);
    if (!checked.ok) return apiError(c, 400, "invalid_body", checked.message);
    const b = checked.value;
    const target = clearTarget(b);
    let deleted = 0;
    for (;;) {
      const n = await deleteLogBatch(sql, target, CLEAR_BATCH);
      deleted += n;
      if (n < CLEAR_BATCH) break;
    }
    const what = b.run_id ?? b.conversation_id ?? `before ${b.before!.toISOString()}`;
    await audit(
      sql,
      { userId: viewer.userId, email: viewer.email, ip: clientIp(c, deps.edge) },
      "logs_cleared",
      what,
      {
        deleted,
        ...(b.run_id !== undefined && { run_id: b.run_id }),
        ...(b.conversation_id !== undefined && { conversation_id: b.conversation_id }),
        ...(b.before !== undefined && { before: b.before.toISOString() }),
      },
    );
    // The /logs page's confirm step posts a form: the browser goes back to the logs.
    if (
      !type.includes("application/json") && (c.req.header("accept") ?? "").includes("text/html")
    ) {
      return c.redirect(`/logs?cleared=${deleted}`, 303);
    }
    return c.json({ deleted });
  });
  return app;
}

/** What a checked clear body deletes. */
export function clearTarget(b: z.infer<typeof LogsClearBody>): LogTarget {
  return b.run_id !== undefined
    ? { runId: b.run_id }
    : b.conversation_id !== undefined
    ? { conversationId: b.conversation_id }
    : { olderThan: b.before! };
}

async function page(
  c: Context,
  list: () => Promise<{ items: LogRecordRow[]; nextCursor: string | null }>,
): Promise<Response> {
  try {
    const { items, nextCursor } = await list();
    return c.json({ items: items.map(logJson), next_cursor: nextCursor });
  } catch (err) {
    if (err instanceof LogQueryError) return apiError(c, 400, "invalid_query", err.message);
    throw err;
  }
}

/** A record as the API and the JSON exports give it. */
export function logJson(r: LogRecordRow) {
  return {
    id: r.id,
    at: r.at.toISOString(),
    kind: r.kind,
    level: r.level,
    user_id: r.userId,
    run_id: r.runId,
    conversation_id: r.conversationId,
    agent: r.agent,
    category: r.category,
    message: r.message,
    properties: r.properties,
    request_id: r.requestId,
  };
}

/**
 * The live log tail of a filter: its backlog after `after`, then live records, from the topic that
 * carries exactly the filter's scope (every run's, or one owner's; a member asking for someone
 * else's gets an empty tail). A filter that can match no live record gets the stream's heartbeat
 * only. Without filters the encoder is the shared one (encoded once for every subscriber);
 * filtered, each subscriber has its own.
 */
export async function followLogs(
  deps: AppDeps,
  filter: LogFilter | OwnerScope,
  after: number,
  encoder: (ev: RunEvent) => Uint8Array | null,
  opts: {
    /** How this encoding says that a resume skipped older records (the backlog is bounded). */
    skippedNotice?: (oldestShown: number) => Uint8Array;
    /** The hub label of the follower (routes/run_stream.ts subscriberLabel). */
    label?: string;
    /**
     * Request records up to this id are not in the backlog (the page's stored history showed
     * them); run records still follow `after`.
     */
    httpAfter?: number;
  } = {},
): Promise<ReadableStream<Uint8Array>> {
  const { skippedNotice } = opts;
  const f: LogFilter = "scope" in filter ? filter : { scope: filter };
  const scope = f.scope;
  const owner = scope.user ?? (scope.owner === EVERYONE ? null : scope.owner);
  const visible = (owner === null || inScope(scope, owner)) && liveable(f);
  const filtered = Object.entries(f).some(([k, v]) => k !== "scope" && v !== undefined);
  const match = liveMatcher(f, (runId) => deps.journals.get(runId));
  const topic = visible ? owner === null ? LOGS_TOPIC : ownerLogsTopic(owner) : NOBODYS_LOGS;
  // Whatever is published while the backlog is read is caught here (an encoder that keeps the
  // event and sends nothing), in the same tick as the journals are read: a run whose journal
  // closes meanwhile is then in the table, in the catch, or in what its journal held.
  const caught: RunEvent[] = [];
  const catcher = deps.hub.subscribe({ topic, encoder: (ev) => (caught.push(ev), null) });
  let backlog: Backlog;
  try {
    backlog = await logsBacklog(deps, f, after, Math.max(after, opts.httpAfter ?? 0), caught);
  } finally {
    await catcher.cancel();
  }
  const history = backlog.events.filter(match);
  const notice = skippedNotice && backlog.skipped && history.length > 0
    ? skippedNotice(history[0].id)
    : undefined;
  return deps.hub.subscribe({
    topic,
    encoder: filtered ? (ev) => (match(ev) ? encoder(ev) : null) : encoder,
    history: visible ? history : [],
    afterId: after,
    preamble: visible ? notice : undefined,
    label: opts.label,
  });
}

interface Backlog {
  events: RunEvent[];
  /** A resume (after > 0) had more records after its cursor than the backlog holds. */
  skipped: boolean;
}

/**
 * The last log records after `after` in the scope: stored ones, those of active runs still only
 * in their journals and request records not stored yet (both read before the queries), and those
 * `caught` while they ran. Request records start after `httpAfter`.
 */
async function logsBacklog(
  deps: AppDeps,
  f: LogFilter,
  after: number,
  httpAfter: number,
  caught: RunEvent[],
): Promise<Backlog> {
  const { scope } = f;
  const byId = new Map<number, RunEvent>();
  const runs = f.kind !== "http" && f.requestId === undefined;
  const requests = f.kind !== "run";
  if (runs) {
    for (const journal of deps.journals.all()) {
      if (journal.owner === undefined || !inScope(scope, journal.owner)) continue;
      for (const e of journal.events) {
        if (e.id > after && customName(e.event) === CUSTOM.log) byId.set(e.id, e);
      }
    }
  }
  if (requests) { for (const e of deps.requestTail.recent(scope, httpAfter)) byId.set(e.id, e); }
  const [stored, storedRequests] = await Promise.all([
    runs ? recentLogEvents(deps.db.sql, scope, BACKLOG + 1, after) : [],
    requests ? recentHttpRecords(deps.db.sql, scope, BACKLOG + 1, httpAfter) : [],
  ]);
  for (const r of storedRequests) byId.set(r.id, storedRequestEvent(r));
  for (const e of [...stored, ...caught]) {
    if (e.id > (isRequestEvent(e) ? httpAfter : after)) byId.set(e.id, e);
  }
  const all = [...byId.values()].sort((a, b) => a.id - b.id);
  return { events: all.slice(-BACKLOG), skipped: after > 0 && all.length > BACKLOG };
}
