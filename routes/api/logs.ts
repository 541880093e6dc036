/** GET /api/v1/logs/stream — the live log tail of every run, for dashboards (SSE, resumable). */
import { Hono } from "hono";
import { CUSTOM, customName, type RunEvent } from "../../agents/spine/events.ts";
import { LOGS_TOPIC } from "../../agents/spine/journal.ts";
import { encodeJsonEnvelope } from "../../agents/spine/sse.ts";
import { recentLogEvents } from "../../db/events.ts";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../errors.ts";
import { resumeAfter, sseResponse } from "../run_stream.ts";

const BACKLOG = 200;

export function logsApi(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/logs/stream", async (c) => {
    const after = resumeAfter(c.req.header("last-event-id"), c.req.query("after"));
    if (after === null) {
      return apiError(c, 400, "invalid_last_event_id", "Last-Event-ID must be an event id");
    }
    const history = await logsBacklog(deps, after);
    return sseResponse(
      deps.hub.subscribe({
        topic: LOGS_TOPIC,
        encoder: encodeJsonEnvelope,
        history,
        afterId: after,
      }),
    );
  });
  return app;
}

/**
 * The last log records after `after`: stored ones, plus those of active runs still only in their
 * journals. Gathered in the tick before subscribing, so nothing published meanwhile is missed.
 */
export async function logsBacklog(deps: AppDeps, after: number): Promise<RunEvent[]> {
  const stored = await recentLogEvents(deps.db.sql, BACKLOG, after);
  const byId = new Map(stored.map((e) => [e.id, e]));
  for (const journal of deps.journals.all()) {
    for (const e of journal.events) {
      if (e.id > after && customName(e.event) === CUSTOM.log) byId.set(e.id, e);
    }
  }
  return [...byId.values()].sort((a, b) => a.id - b.id).slice(-BACKLOG);
}
