/**
 * Server-Sent Events wire format (WHATWG HTML "Server-sent events"): frame writers and the two
 * JSON encodings of a RunEvent. (Reading SSE is eventsource-parser's job: tests/support.)
 *
 * JSON encodings — why two:
 * - `encodeJsonEvent`: `data:` is the AG-UI event object UNCHANGED and the glassbox id rides in the
 *   SSE `id:` field. That is exactly what AG-UI clients (`@ag-ui/client` parses each `data:` as one
 *   event) and EventSource expect, the event stays schema-valid (no extra top-level keys, nothing
 *   smuggled into `metadata`), and the browser resends the id as Last-Event-ID on reconnect.
 * - `encodeJsonEnvelope`: `{ id, runId, seq, createdAt, event }` for /api/v1 streams whose
 *   consumers are programs that want the persisted envelope (e.g. a log tail spanning many runs,
 *   where the AG-UI event alone does not say which run it belongs to).
 */
import type { RunEvent } from "./events.ts";

const utf8 = new TextEncoder();

export interface SseFrame {
  id?: number | string;
  event?: string;
  data: string;
  /** Reconnection delay the client should use, ms. */
  retry?: number;
}

/** A comment line: ignored by clients, keeps proxies and idle-timeouts from closing the stream. */
export const KEEP_ALIVE: Uint8Array = utf8.encode(": keep-alive\n\n");

/** One SSE message. Multi-line data becomes several `data:` lines; CRLF and CR count as LF. */
export function sseFrame(f: SseFrame): string {
  let out = "";
  if (f.event !== undefined) out += `event: ${singleLine("event", f.event)}\n`;
  if (f.id !== undefined) {
    const id = singleLine("id", String(f.id));
    // Browsers ignore an id containing NUL, which would silently break resumption.
    if (id.includes("\0")) throw new TypeError("SSE id must not contain NUL");
    out += `id: ${id}\n`;
  }
  if (f.retry !== undefined) {
    if (!Number.isInteger(f.retry) || f.retry < 0) throw new RangeError("retry: integer >= 0");
    out += `retry: ${f.retry}\n`;
  }
  for (const line of f.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + "\n";
}

function singleLine(field: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError(`SSE ${field} must be a single line`);
  return value;
}

// The two encoders below are hot (called once per event per encoding): JSON.stringify never emits a
// raw CR or LF, so the frame is built directly without sseFrame's splitting.

/** SSE `id: <ev.id>`, `data: <the AG-UI event as JSON>`. */
export function encodeJsonEvent(ev: RunEvent): Uint8Array {
  return utf8.encode(`id: ${ev.id}\ndata: ${JSON.stringify(ev.event)}\n\n`);
}

/** SSE `id: <ev.id>`, `data: {"id","runId","seq","createdAt","event"}`. */
export function encodeJsonEnvelope(ev: RunEvent): Uint8Array {
  const { id, runId, seq, createdAt, event } = ev;
  return utf8.encode(
    `id: ${id}\ndata: ${JSON.stringify({ id, runId, seq, createdAt, event })}\n\n`,
  );
}
