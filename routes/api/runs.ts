/** GET /api/v1/runs/:id, its event stream, and cancel. */
import { Hono } from "hono";
import { encodeJsonEnvelope } from "../../agents/spine/sse.ts";
import { getRun, runUsage } from "../../db/runs.ts";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../errors.ts";
import { longWait } from "../deadline.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { ownerScope } from "../../auth/viewer.ts";
import { viewerOf } from "../access.ts";
import {
  openRunStream,
  resumeAfter,
  runVisible,
  sseResponse,
  subscriberLabel,
} from "../run_stream.ts";

export function runsApi(deps: AppDeps): Hono {
  const app = new Hono();
  const { sql } = deps.db;

  // Unknown and malformed ids are both simply "not found" (this also covers /runs/:id itself).
  app.use("/runs/:id/*", async (c, next) => {
    if (!UUID_RE.test(c.req.param("id"))) return apiError(c, 404, "not_found", "no such run");
    await next();
  });

  app.get("/runs/:id", async (c) => {
    const id = c.req.param("id");
    const run = await getRun(sql, id, ownerScope(viewerOf(c)));
    if (!run) return apiError(c, 404, "not_found", `run ${id} not found`);
    const usage = await runUsage(sql, id);
    return c.json({
      id: run.id,
      conversation_id: run.conversationId,
      user_id: run.userId,
      agent: run.agent,
      status: run.status,
      error: run.error,
      started_at: run.startedAt,
      ended_at: run.endedAt,
      usage: {
        llm_calls: usage.llmCalls,
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        cost_usd: usage.costUsd,
        failed_calls: usage.errors,
      },
      links: { events: `/api/v1/runs/${id}/events`, llm_calls: `/api/v1/llm-calls?run_id=${id}` },
    });
  });

  app.get("/runs/:id/events", async (c) => {
    const id = c.req.param("id");
    const after = resumeAfter(c.req.header("last-event-id"), c.req.query("after"));
    if (after === null) {
      return apiError(c, 400, "invalid_last_event_id", "Last-Event-ID must be an event id");
    }
    const viewer = viewerOf(c);
    if (!(await runVisible(deps, ownerScope(viewer), id))) {
      return apiError(c, 404, "not_found", `run ${id} not found`);
    }
    const label = subscriberLabel("sse_json", viewer.userId);
    return sseResponse(await openRunStream(deps, id, encodeJsonEnvelope, after, { label }));
  });

  app.post("/runs/:id/cancel", async (c) => {
    const id = c.req.param("id");
    const scope = ownerScope(viewerOf(c));
    if (!(await runVisible(deps, scope, id))) {
      return apiError(c, 404, "not_found", `run ${id} not found`);
    }
    const done = deps.runs.whenDone(id);
    const session = done ? null : deps.gateway.cancel(id);
    if (session) {
      await session;
      return c.json({ run_id: id, status: "cancelled" });
    }
    if (!done) {
      const run = await getRun(sql, id, scope);
      if (!run) return apiError(c, 404, "not_found", `run ${id} not found`);
      return apiError(c, 409, "not_running", `run ${id} already ended: ${run.status}`);
    }
    deps.runs.cancel(id);
    longWait(c); // the run records its end (during an outage, when the database is back)
    const outcome = await done;
    return c.json({ run_id: id, status: outcome.status });
  });

  return app;
}
