/**
 * GET /api/v1/logs/stream — the live log tail (SSE, resumable) of the runs the caller may see:
 * their own; an admin's: every run, or one user's with ?user_id=.
 */
import { Hono } from "hono";
import { z } from "zod";
import { CUSTOM, customName, type RunEvent } from "../../agents/spine/events.ts";
import { LOGS_TOPIC, ownerLogsTopic } from "../../agents/spine/journal.ts";
import { encodeJsonEnvelope } from "../../agents/spine/sse.ts";
import { ownerScope } from "../../auth/viewer.ts";
import { recentLogEvents } from "../../db/events.ts";
import { EVERYONE, inScope, type OwnerScope } from "../../db/owner.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { viewerOf } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../errors.ts";
import { resumeAfter, sseResponse } from "../run_stream.ts";
import { validQuery } from "../validate.ts";

const BACKLOG = 200;
/** Where a member asking for someone else's tail listens: nothing is ever published there. */
const NOBODYS_LOGS = "logs:nobody";
const Query = z.object({
  after: z.string().optional(),
  user_id: z.string().regex(UUID_RE, "must be a UUID").optional(),
}).strict();

export function logsApi(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/logs/stream", validQuery(Query), async (c) => {
    const q = c.req.valid("query");
    const after = resumeAfter(c.req.header("last-event-id"), q.after);
    if (after === null) {
      return apiError(c, 400, "invalid_last_event_id", "Last-Event-ID must be an event id");
    }
    return sseResponse(
      await followLogs(deps, ownerScope(viewerOf(c), q.user_id), after, encodeJsonEnvelope),
    );
  });
  return app;
}

/**
 * The log tail of a scope: its backlog after `after`, then live records, from the topic that
 * carries exactly that scope's runs (every run's, or one owner's; a member asking for someone
 * else's gets an empty tail).
 */
export async function followLogs(
  deps: AppDeps,
  scope: OwnerScope,
  after: number,
  encoder: (ev: RunEvent) => Uint8Array,
): Promise<ReadableStream<Uint8Array>> {
  const history = await logsBacklog(deps, scope, after);
  const owner = scope.user ?? (scope.owner === EVERYONE ? null : scope.owner);
  const visible = owner === null || inScope(scope, owner);
  return deps.hub.subscribe({
    topic: owner === null ? LOGS_TOPIC : visible ? ownerLogsTopic(owner) : NOBODYS_LOGS,
    encoder,
    history,
    afterId: after,
  });
}

/**
 * The last log records after `after` in the scope: stored ones, plus those of active runs still
 * only in their journals. Gathered in the tick before subscribing, so nothing published
 * meanwhile is missed.
 */
async function logsBacklog(deps: AppDeps, scope: OwnerScope, after: number): Promise<RunEvent[]> {
  const stored = await recentLogEvents(deps.db.sql, scope, BACKLOG, after);
  const byId = new Map(stored.map((e) => [e.id, e]));
  for (const journal of deps.journals.all()) {
    if (journal.owner === undefined || !inScope(scope, journal.owner)) continue;
    for (const e of journal.events) {
      if (e.id > after && customName(e.event) === CUSTOM.log) byId.set(e.id, e);
    }
  }
  return [...byId.values()].sort((a, b) => a.id - b.id).slice(-BACKLOG);
}
