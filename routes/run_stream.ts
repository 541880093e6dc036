/**
 * A run's event stream for one subscriber: its past events, then live ones, without gaps or
 * duplicates, ending after the terminal event. An active run replays from its in-memory journal
 * in the same tick as it subscribes; an ended run replays from the database (its journal is only
 * dropped after every event was stored).
 */
import type { Encoder, EventHub } from "../agents/spine/event_hub.ts";
import type { Journals } from "../agents/spine/journal.ts";
import { runTopic } from "../agents/spine/journal.ts";
import type { Sql } from "../db/client.ts";
import { listEvents, runEnded } from "../db/events.ts";
import { inScope, type OwnerScope } from "../db/owner.ts";
import { getRun } from "../db/runs.ts";

export interface RunStreamDeps {
  db: { sql: Sql };
  hub: EventHub;
  journals: Journals;
}

/**
 * How a subscriber follows a stream, for /sessions and /metrics: JSON SSE (the API), HTML SSE
 * (the htmx pages), a WebSocket follower, AG-UI SSE.
 */
export const TRANSPORTS = ["sse_json", "sse_html", "websocket", "agui"] as const;
export type Transport = typeof TRANSPORTS[number];

/** The hub label of a subscriber: its transport and who follows (routes name it, the hub counts). */
export function subscriberLabel(transport: Transport, userId: string): string {
  return `${transport} ${userId}`;
}

/** A hub label back into its parts; null for an unlabelled subscriber (a route's own catcher). */
export function parseSubscriberLabel(
  label: string,
): { transport: Transport; userId: string } | null {
  const i = label.indexOf(" ");
  const transport = label.slice(0, i) as Transport;
  if (i < 0 || !TRANSPORTS.includes(transport)) return null;
  return { transport, userId: label.slice(i + 1) };
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};

/**
 * `epilogue`: what the encoding sends to end a stream that resumed at or after the run's last
 * event (the HTML encoding's `done`, which closes htmx's connection). Whether the run ended comes
 * from its state — its journal here, else a stored terminal event or a final status — never from
 * the slice of history after `afterId`, which is empty then.
 */
export async function openRunStream(
  deps: RunStreamDeps,
  runId: string,
  encoder: Encoder,
  afterId: number,
  opts: { preamble?: Uint8Array; epilogue?: Uint8Array; label?: string } = {},
): Promise<ReadableStream<Uint8Array>> {
  const journal = deps.journals.get(runId);
  const [history, complete] = journal
    ? [journal.events, journal.ended]
    : await Promise.all([listEvents(deps.db.sql, runId, afterId), runEnded(deps.db.sql, runId)]);
  return deps.hub.subscribe({
    topic: runTopic(runId),
    encoder,
    history,
    afterId,
    preamble: opts.preamble,
    epilogue: opts.epilogue,
    label: opts.label,
    closeAfterTerminal: true,
    complete,
  });
}

/**
 * Whether the run exists within the scope: an active run by its journal's owner (no query),
 * otherwise by its row. Someone else's run and no run are the same answer.
 */
export async function runVisible(
  deps: RunStreamDeps,
  scope: OwnerScope,
  runId: string,
): Promise<boolean> {
  const owner = deps.journals.get(runId)?.owner;
  if (owner !== undefined) return inScope(scope, owner);
  return (await getRun(deps.db.sql, runId, scope)) !== null;
}

/** Last-Event-ID header (reconnects) or ?after= (first connect after a reload). */
export function resumeAfter(header: string | undefined, query: string | undefined): number | null {
  const raw = header ?? query;
  if (raw === undefined || raw === "") return 0;
  // Decimal digits only: Number() would also read "0x10", "1e3", " 7" and "0b1".
  if (!/^[0-9]{1,16}$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

export function sseResponse(body: ReadableStream<Uint8Array>): Response {
  return new Response(body, { headers: SSE_HEADERS });
}
