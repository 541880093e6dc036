/**
 * GET /api/v1/ws — the same runs over one WebSocket, for programs that prefer it: start a chat,
 * follow a run (resuming after an event id), cancel, follow the log tail, ping/pong. The socket
 * acts for whoever opened it (session, API key or the local user): it follows only runs and logs
 * that viewer may see, and chat/cancel need the `chat` scope. A browser's handshake from another
 * origin is refused before the upgrade.
 *
 *   → {"type":"chat","message":"…","conversation_id?":…,"agent?":…}
 *   ← {"type":"run_started","run_id":…,"conversation_id":…}  then that run's events
 *   → {"type":"subscribe","run_id":…,"after?":<event id>}     ← {"type":"event",…} …
 *   → {"type":"cancel","run_id":…}                            ← {"type":"cancelled",…}
 *   → {"type":"logs","after?":<event id>}                     ← log events of the runs it may see
 *     (first {"type":"skipped","oldest_shown":id} when a resume had more than the backlog holds)
 *   → {"type":"ping"}                                         ← {"type":"pong","time":…}
 *   ← {"type":"end","run_id":…,"complete":bool}  a followed stream ended; complete=false means
 *     this socket fell behind and was cut off: subscribe again with after = the last id seen.
 *   ← {"type":"end","logs":true,"complete":false}  the log tail was cut off the same way.
 *   ← {"type":"error","code":…,"message":…}  a bad message; the socket stays open: invalid_json,
 *     invalid_message (not one of the above, or a bad field), binary_not_supported (a binary
 *     frame), internal (our fault; logged). A text frame over WS_MAX_MESSAGE_CHARS gets
 *     message_too_large and the socket is closed with 1009. Frames that break the protocol
 *     (invalid UTF-8 in a text frame, a stray continuation) end the connection in Deno's
 *     WebSocket layer before they reach us. Nothing a client sends affects other sockets.
 * Events are {"type":"event","id","runId","seq","createdAt","event"} — the SSE envelope.
 */
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import type { WSContext } from "hono/ws";
import { z } from "zod/v4";
import { isTerminal, type RunEvent } from "../../agents/spine/events.ts";
import { ownerScope } from "../../auth/viewer.ts";
import { ChatBody } from "./chat.ts";
import { followLogs } from "./logs.ts";
import { runOwner, scopeError, viewerOf } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { runStartRefusal } from "../errors.ts";
import { webSocketOrigin } from "../security.ts";
import { check } from "../validate.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { openRunStream, runVisible, subscriberLabel } from "../run_stream.ts";
import { getLogger } from "../../agents/logging/logging.ts";
import { DatabaseTimeoutError } from "../../db/client.ts";

const After = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0);
export const WsClientMessage = z.discriminatedUnion("type", [
  ChatBody.extend({ type: z.literal("chat") }),
  z.object({ type: z.literal("subscribe"), run_id: z.string().regex(UUID_RE), after: After })
    .strict(),
  z.object({ type: z.literal("cancel"), run_id: z.string().regex(UUID_RE) }).strict(),
  z.object({ type: z.literal("logs"), after: After }).strict(),
  z.object({ type: z.literal("ping") }).strict(),
]);

/**
 * The longest text frame read, in UTF-16 units: a chat message at its limit with every character
 * written as a JSON escape fits well within it.
 */
export const WS_MAX_MESSAGE_CHARS = 256 * 1024;

const log = getLogger("ws");
const utf8 = new TextEncoder();
/** One JSON line per event, encoded once for every WebSocket follower. */
function wsEncoder(ev: RunEvent): Uint8Array {
  const { id, runId, seq, createdAt, event } = ev;
  const terminal = isTerminal(event) ? "true" : "false";
  return utf8.encode(
    `{"type":"event","terminal":${terminal},${
      JSON.stringify({ id, runId, seq, createdAt, event }).slice(1)
    }\n`,
  );
}

/**
 * How much one socket may have sent but not yet written to the network. Past it the pump stops
 * reading its hub stream, so the hub's per-subscriber cap applies as to an SSE client: a follower
 * that does not read is cut off (and told, once it reads again), and the server holds at most
 * this plus the hub's cap for it.
 */
export const WS_MAX_BUFFERED = 1 << 20;
/** WebSocket has no drain event: while backed up, the socket is looked at this often. */
const DRAIN_POLL_MS = 20;

/** Resolves once the socket's send buffer is below the bound (or the socket is closing). */
async function drained(ws: WSContext): Promise<void> {
  const raw = ws.raw as WebSocket | undefined;
  while (raw && raw.readyState === WebSocket.OPEN && raw.bufferedAmount > WS_MAX_BUFFERED) {
    await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
  }
}

/**
 * Sends each line of a hub stream as one message, reading no faster than the socket drains;
 * says how the stream ended (`complete: false`: cut off, or aborted for not reading).
 */
async function pump(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  ws: WSContext,
  target: EndTarget,
) {
  const decoder = new TextDecoder();
  let buffered = "";
  let complete = false;
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      buffered += decoder.decode(r.value, { stream: true });
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === RESUMED_AT_END) {
          complete = true;
          continue;
        }
        if (line.startsWith('{"type":"event","terminal":true')) complete = true;
        // SSE keep-alive comments and blank separators are not messages.
        if (line.startsWith("{") && ws.readyState === 1) ws.send(line);
      }
      await drained(ws);
    }
  } catch {
    // Errored by the hub: this socket did not drain what was queued in time.
  }
  if (ws.readyState === 1) ws.send(JSON.stringify({ type: "end", ...target, complete }));
}

async function withinDeadline<T>(
  p: Promise<T>,
  ms: number,
  discard?: (late: T) => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof LATE>((r) => timer = setTimeout(() => r(LATE), ms));
  try {
    const first = await Promise.race([p, late]);
    if (first !== LATE) return first as T;
  } finally {
    clearTimeout(timer);
  }
  p.then((v) => discard?.(v), () => {});
  throw new DatabaseTimeoutError("a WebSocket message", ms);
}
const LATE = Symbol("late");
const discardStream = (s: ReadableStream<Uint8Array>) => void s.cancel().catch(() => {});

/** A resumed log tail that skipped older records says so first (see routes/api/logs.ts). */
const wsSkippedNotice = (oldestShown: number) =>
  utf8.encode(`${JSON.stringify({ type: "skipped", oldest_shown: oldestShown })}\n`);

/** The epilogue of a run stream resumed at or after its end: not sent, it means complete. */
const RESUMED_AT_END = '{"type":"resumed_at_end"}';
const RESUMED_AT_END_BYTES = utf8.encode(RESUMED_AT_END + "\n");

/** What an `end` message names: the followed run, or the log tail. */
type EndTarget = { run_id: string } | { logs: true };

export function wsApi(deps: AppDeps): Hono {
  const app = new Hono();
  app.get(
    "/ws",
    webSocketOrigin(deps.edge),
    upgradeWebSocket((c) => {
      const viewer = viewerOf(c);
      const scope = ownerScope(viewer);
      const label = subscriberLabel("websocket", viewer.userId);
      const readers = new Set<ReadableStreamDefaultReader<Uint8Array>>();
      const send = (ws: WSContext, msg: unknown) =>
        ws.readyState === 1 && ws.send(JSON.stringify(msg));
      const fail = (ws: WSContext, code: string, message: string) =>
        send(ws, { type: "error", code, message });
      /**
       * A message's database part within the request deadline (routes/deadline.ts does this for
       * HTTP): past it the client gets database_unavailable, and a late result is dropped.
       */
      const bounded = <T>(p: Promise<T>, discard?: (late: T) => void) =>
        withinDeadline(p, deps.config.requestTimeoutMs, discard);
      const follow = (ws: WSContext, stream: ReadableStream<Uint8Array>, target: EndTarget) => {
        const reader = stream.getReader();
        readers.add(reader);
        pump(reader, ws, target).catch(() => {}).finally(() => readers.delete(reader));
      };

      return {
        async onMessage(evt, ws) {
          if (typeof evt.data !== "string") {
            return fail(
              ws,
              "binary_not_supported",
              "binary frames are not read: send each message as a text frame of JSON",
            );
          }
          if (evt.data.length > WS_MAX_MESSAGE_CHARS) {
            fail(
              ws,
              "message_too_large",
              `a message may be at most ${WS_MAX_MESSAGE_CHARS} characters; closing`,
            );
            return ws.close(1009, "message too large");
          }
          let json: unknown;
          try {
            json = JSON.parse(evt.data);
          } catch {
            return fail(ws, "invalid_json", "messages must be JSON");
          }
          const checked = check(WsClientMessage, json);
          if (!checked.ok) return fail(ws, "invalid_message", checked.message);
          const msg = checked.value;
          try {
            switch (msg.type) {
              case "ping":
                return send(ws, { type: "pong", time: Date.now() });
              case "chat": {
                const denied = scopeError(viewer, "chat");
                if (denied) return fail(ws, "insufficient_scope", denied);
                const handle = await deps.runs.start({
                  message: msg.message,
                  conversationId: msg.conversation_id,
                  agent: msg.agent,
                  ...runOwner(viewer),
                });
                send(ws, {
                  type: "run_started",
                  run_id: handle.runId,
                  conversation_id: handle.conversationId,
                });
                return follow(
                  ws,
                  await openRunStream(deps, handle.runId, wsEncoder, 0, { label }),
                  { run_id: handle.runId },
                );
              }
              case "subscribe": {
                if (!(await bounded(runVisible(deps, scope, msg.run_id)))) {
                  return fail(ws, "not_found", `run ${msg.run_id} not found`);
                }
                return follow(
                  ws,
                  await bounded(
                    openRunStream(deps, msg.run_id, wsEncoder, msg.after, {
                      epilogue: RESUMED_AT_END_BYTES,
                      label,
                    }),
                    discardStream,
                  ),
                  { run_id: msg.run_id },
                );
              }
              case "cancel": {
                const denied = scopeError(viewer, "chat");
                if (denied) return fail(ws, "insufficient_scope", denied);
                if (!(await bounded(runVisible(deps, scope, msg.run_id)))) {
                  return fail(ws, "not_found", `run ${msg.run_id} not found`);
                }
                const done = deps.runs.whenDone(msg.run_id);
                if (!done) return fail(ws, "not_running", `run ${msg.run_id} is not running`);
                deps.runs.cancel(msg.run_id);
                return send(ws, {
                  type: "cancelled",
                  run_id: msg.run_id,
                  status: (await done).status,
                });
              }
              case "logs":
                return follow(
                  ws,
                  await bounded(
                    followLogs(deps, scope, msg.after, wsEncoder, {
                      skippedNotice: wsSkippedNotice,
                      label,
                    }),
                    discardStream,
                  ),
                  {
                    logs: true,
                  },
                );
            }
          } catch (err) {
            const refusal = runStartRefusal(err);
            if (refusal) {
              return fail(
                ws,
                refusal.status === 400 ? "invalid_message" : refusal.code,
                refusal.message,
              );
            }
            // Ours, not the client's: said and logged, never thrown out of the socket's handler
            // (nobody awaits it: an unhandled rejection).
            log.error("WebSocket message {type} failed: {error}", { type: msg.type, error: err });
            return fail(ws, "internal", "the message could not be handled; see the server log");
          }
        },
        onClose() {
          // The readers, not the streams (locked by them): this is what ends the subscriptions.
          for (const r of readers) r.cancel().catch(() => {});
        },
      };
    }),
  );
  return app;
}
