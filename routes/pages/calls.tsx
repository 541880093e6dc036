/**
 * The LLM calls pages: GET /calls (usage for a period, by model and agent, and the filtered list
 * of calls, newest first, keyset-paginated) and GET /calls/:id (one call in full). Plain GET
 * forms and links, no JS. A bad query value is a 400 page, an unknown call — or one the viewer
 * may not see — a 404 page. Members see their own calls; admins everyone's, with a user filter.
 */
import { type Context, Hono } from "hono";
import { z } from "zod/v4";
import { getLlmCall, listLlmCalls, LlmCallQueryError } from "../../db/llm_calls.ts";
import { periodStart, USAGE_PERIODS } from "../../agents/llm/usage_period.ts";
import { usageReport } from "../../db/usage.ts";
import { LLM_CALL_STATUSES } from "../../agents/spine/events.ts";
import type { CallsFilterView } from "../../views/calls/shell.tsx";
import { CallsPage, callsUrl } from "../../views/calls/list.tsx";
import { CallDetailPage } from "../../views/calls/detail.tsx";
import type { AppDeps } from "../deps.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { getUser, listUsers } from "../../db/users.ts";
import { isAdmin, ownerScope } from "../../auth/viewer.ts";
import { viewerOf } from "../access.ts";
import { pageChrome } from "./chrome.ts";
import { problemPage } from "./problem.ts";
import { instantField, nameField, parsePageQuery, userIdField } from "./page_query.ts";

const KEYS = [
  "period",
  "status",
  "model",
  "agent",
  "user_id",
  "run_id",
  "conversation_id",
  "from",
  "to",
  "limit",
  "cursor",
] as const;

const Query = z.object({
  period: z.enum(USAGE_PERIODS, {
    message: `must be one of ${USAGE_PERIODS.join(", ")}`,
  }).default("all"),
  status: z.enum(LLM_CALL_STATUSES, {
    message: `must be one of ${LLM_CALL_STATUSES.join(", ")}`,
  }).optional(),
  model: nameField.optional(),
  agent: nameField.optional(),
  user_id: userIdField.optional(),
  run_id: z.string().regex(UUID_RE, "must be a run id (a UUID)").optional(),
  conversation_id: z.string().regex(UUID_RE, "must be a conversation id (a UUID)").optional(),
  from: instantField.optional(),
  to: instantField.optional(),
  limit: z.string().regex(/^\d{1,3}$/, "must be a whole number from 1 to 500")
    .transform(Number)
    .refine((n) => n >= 1 && n <= 500, "must be a whole number from 1 to 500")
    .optional(),
  cursor: z.string().max(200, "is not a valid page cursor").optional(),
});

export function callsPages(deps: AppDeps): Hono {
  const app = new Hono();
  const { sql } = deps.db;
  const badQuery = (c: Context, message: string) =>
    problemPage(deps, c, 400, "Can't show these calls", message);

  app.get("/calls", async (c) => {
    const parsed = parsePageQuery(c, KEYS, Query);
    if (!parsed.ok) return badQuery(c, parsed.message);
    const q = parsed.value;
    const now = new Date();
    const filters: CallsFilterView = {
      period: q.period,
      status: q.status ?? "",
      model: q.model ?? "",
      userId: q.user_id ?? "",
      runId: q.run_id ?? "",
      agent: q.agent ?? "",
      conversationId: q.conversation_id ?? "",
      from: q.from?.toISOString() ?? "",
      to: q.to?.toISOString() ?? "",
      limit: q.limit ?? null,
    };
    const scope = ownerScope(viewerOf(c), q.user_id);
    const start = periodStart(q.period, now);
    // A from/to narrows the period (the usage page links a bar to its calls this way).
    const since = q.from && (!start || q.from > start) ? q.from : start;
    let page;
    try {
      page = await listLlmCalls(sql, {
        scope,
        status: q.status,
        model: q.model,
        runId: q.run_id,
        agent: q.agent,
        conversationId: q.conversation_id,
        from: since ?? undefined,
        to: q.to,
        limit: q.limit ?? 50,
        cursor: q.cursor,
      });
    } catch (err) {
      if (err instanceof LlmCallQueryError) {
        return badQuery(c, `${err.message[0].toUpperCase()}${err.message.slice(1)}.`);
      }
      throw err;
    }
    const report = await usageReport(sql, { scope, since, until: q.to });
    const users = isAdmin(viewerOf(c))
      ? (await listUsers(sql)).map((u) => ({ id: u.id, label: u.email ?? u.name }))
      : null;
    return c.html(CallsPage({
      ...pageChrome(deps, c),
      filters,
      users,
      report,
      calls: page.items,
      olderUrl: page.nextCursor ? callsUrl({ ...filters, cursor: page.nextCursor }) : null,
      newestUrl: q.cursor ? callsUrl(filters) : null,
      now: now.getTime(),
    }));
  });

  app.get("/calls/:id", async (c) => {
    const id = c.req.param("id");
    const scope = ownerScope(viewerOf(c));
    const call = UUID_RE.test(id) ? await getLlmCall(sql, id, scope) : null;
    if (!call) {
      return problemPage(deps, c, 404, "Not found", "There is no recorded LLM call with this id.");
    }
    const runCalls = call.runId
      ? (await listLlmCalls(sql, { scope, runId: call.runId, limit: 500 })).items.toReversed()
      : [];
    const owner = await getUser(sql, call.userId);
    return c.html(CallDetailPage({
      ...pageChrome(deps, c),
      call,
      userLabel: owner?.email ?? owner?.name ?? call.userId,
      runCalls,
      contentLogging: deps.config.contentLogging,
    }));
  });

  return app;
}
