/**
 * The logs explorer: GET /logs (the filtered history and the live tail in one table) and GET
 * /logs/live (its SSE stream: the same filter's live records as HTML rows). Members see the
 * records of their own runs and requests; admins everyone's, with a user filter. A bad filter
 * is the page again with the problem named (400), never a 500.
 */
import { type Context, Hono } from "hono";
import { z } from "zod/v4";
import type { RunEvent } from "../../agents/spine/events.ts";
import { isAdmin, ownerScope } from "../../auth/viewer.ts";
import {
  latestHttpLogId,
  latestRunLogId,
  listLogRecords,
  LOG_KINDS,
  LOG_LEVELS,
  LogQueryError,
} from "../../db/log_records.ts";
import { listUsers } from "../../db/users.ts";
import {
  EMPTY_FILTER,
  LogsClearConfirmPage,
  type LogsFilterView,
  LogsPage,
} from "../../views/logs/page.tsx";
import { liveRowEncoder } from "../../views/logs/live.tsx";
import { viewerOf } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../errors.ts";
import {
  conversationOfRun,
  filterParams,
  liveable,
  LOG_FILTER_FIELDS,
  logFilter,
  LogListQuery,
  nonEmpty,
} from "../log_query.ts";
import { clearTarget, followLogs, LogsClearBody } from "../api/logs.ts";
import { countLogTarget } from "../../db/retention.ts";
import { isRequestEvent, requestUserOf } from "../request_tail.ts";
import { pageChrome } from "./chrome.ts";
import { adminOnly } from "./problem.ts";
import { resumeAfter, sseResponse, subscriberLabel } from "../run_stream.ts";
import { check } from "../validate.ts";

const PAGE_ROWS = 100;
const LiveQuery = z.object({
  ...LOG_FILTER_FIELDS,
  after: z.string().optional(),
  /** The newest request record the page's history showed: the tail's requests start after it. */
  http_after: z.string().regex(/^[0-9]{1,16}$/, "must be an event id").transform(Number).optional(),
}).strict();

export function logsPages(deps: AppDeps): Hono {
  const app = new Hono();
  const { sql } = deps.db;
  // One encoder for every unfiltered follower (encoded once per record).
  const encodeRow = liveRowEncoder((ev: RunEvent) =>
    isRequestEvent(ev) ? { conversationId: null, userId: requestUserOf(ev) } : {
      conversationId: conversationOfRun(deps.journals.get(ev.runId)) ?? null,
      userId: deps.journals.get(ev.runId)?.owner ?? null,
    }
  );

  app.get("/logs", async (c) => {
    // `cleared`: the confirm step's clear came back (POST /api/v1/logs/clear); not a filter.
    const { cleared: _cleared, ...raw } = nonEmpty(c.req.query());
    const shown: LogsFilterView = { ...EMPTY_FILTER };
    for (const k of Object.keys(EMPTY_FILTER) as (keyof LogsFilterView)[]) shown[k] = raw[k] ?? "";
    const checked = check(LogListQuery, raw);
    if (!checked.ok) {
      return await render(c, shown, null, `Can't show these records: ${checked.message}.`);
    }
    return await render(c, shown, checked.value, null);
  });

  async function render(
    c: Context,
    shown: LogsFilterView,
    q: z.infer<typeof LogListQuery> | null,
    problem: string | null,
  ): Promise<Response> {
    const viewer = viewerOf(c);
    const admin = isAdmin(viewer);
    const users = admin
      ? (await listUsers(sql)).map((u) => ({ id: u.id, label: u.email ?? u.name }))
      : null;
    const cleared = c.req.query("cleared");
    const base = {
      canClear: admin,
      cleared: admin && cleared !== undefined && /^\d{1,12}$/.test(cleared)
        ? Number(cleared)
        : null,
      levels: LOG_LEVELS,
      kinds: LOG_KINDS,
      filter: shown,
      users,
      rows: [],
      liveUrl: null,
      olderUrl: null,
      newestUrl: null,
      exportQuery: "",
    };
    if (q === null) {
      return c.html(LogsPage({ ...pageChrome(deps, c), ...base, problem }), 400);
    }
    const filter = logFilter(q, ownerScope(viewer, q.user_id));
    let page;
    try {
      page = await listLogRecords(sql, {
        ...filter,
        limit: q.limit ?? PAGE_ROWS,
        cursor: q.cursor,
      });
    } catch (err) {
      if (!(err instanceof LogQueryError)) throw err;
      return c.html(
        LogsPage({
          ...pageChrome(deps, c),
          ...base,
          problem: `Can't show these records: ${err.message}.`,
        }),
        400,
      );
    }
    const { limit: _limit, cursor: _cursor, ...filterOnly } = q;
    const params = filterParams(filterOnly);
    const query = new URLSearchParams(params).toString();
    const live = q.cursor === undefined && liveable(filter);
    const [after, httpAfter] = live
      ? await Promise.all([latestRunLogId(sql), latestHttpLogId(sql)])
      : [0, 0];
    return c.html(LogsPage({
      ...pageChrome(deps, c),
      ...base,
      rows: page.items,
      liveUrl: live
        ? `/logs/live?${new URLSearchParams({
          ...params,
          after: String(after),
          http_after: String(httpAfter),
        })}`
        : null,
      olderUrl: page.nextCursor
        ? `/logs?${new URLSearchParams({ ...params, cursor: page.nextCursor })}`
        : null,
      newestUrl: q.cursor ? `/logs${query ? `?${query}` : ""}` : null,
      exportQuery: query ? `&${query}` : "",
      problem,
    }));
  }

  // Admins: the clear's confirm step — what would go, and the form that posts it to the API.
  app.get(
    "/logs/clear",
    adminOnly(deps, "Only an admin may clear logs."),
    async (c) => {
      const fields = nonEmpty(c.req.query());
      const checked = check(LogsClearBody, fields);
      const chrome = pageChrome(deps, c);
      if (!checked.ok) {
        return c.html(
          LogsClearConfirmPage({
            ...chrome,
            fields,
            what: "",
            count: 0,
            problem: `Can't clear that: ${checked.message}.`,
          }),
          400,
        );
      }
      const b = checked.value;
      const what = b.run_id !== undefined
        ? `run ${b.run_id}`
        : b.conversation_id !== undefined
        ? `conversation ${b.conversation_id}`
        : `older than ${b.before!.toISOString()}`;
      const count = await countLogTarget(sql, clearTarget(b));
      // The checked values (a date as understood: UTC), so what is confirmed is what goes.
      const posted: Record<string, string> = b.before !== undefined
        ? { before: b.before.toISOString() }
        : b.run_id !== undefined
        ? { run_id: b.run_id }
        : { conversation_id: b.conversation_id! };
      return c.html(
        LogsClearConfirmPage({ ...chrome, fields: posted, what, count, problem: null }),
      );
    },
  );

  app.get("/logs/live", async (c) => {
    const checked = check(LiveQuery, nonEmpty(c.req.query()));
    if (!checked.ok) return apiError(c, 400, "invalid_query", checked.message);
    const q = checked.value;
    const after = resumeAfter(c.req.header("last-event-id"), q.after);
    if (after === null) {
      return apiError(c, 400, "invalid_last_event_id", "Last-Event-ID must be an event id");
    }
    const viewer = viewerOf(c);
    const filter = logFilter(q, ownerScope(viewer, q.user_id));
    const label = subscriberLabel("sse_html", viewer.userId);
    return sseResponse(
      await followLogs(deps, filter, after, encodeRow, { label, httpAfter: q.http_after }),
    );
  });

  return app;
}
