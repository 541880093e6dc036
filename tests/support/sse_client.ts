/**
 * Test-only SSE client over npm `eventsource-parser`: parses whole SSE texts, and reads a fetch
 * Response body (or any byte stream) as SSE messages incrementally, so a test can stop mid-stream
 * (disconnect) and resume with Last-Event-ID. The benchmarks' clients use it too.
 */
import { createParser } from "eventsource-parser";

/**
 * A dispatched message as a client sees it. `event` only when the message was named (an unnamed
 * one is EventSource's "message"), `id` only when this message carried one, `retry` when the
 * server set a reconnection delay since the previous message.
 */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
  retry?: number;
}

/** An incremental parser: push decoded text in arbitrary pieces, get complete messages back. */
export function sseReader(): { push(text: string): SseMessage[] } {
  let out: SseMessage[] = [];
  let retry: number | undefined;
  const parser = createParser({
    onRetry: (ms) => retry = ms,
    onEvent: ({ id, event, data }) => {
      const msg: SseMessage = { data };
      if (id !== undefined) msg.id = id;
      if (event !== undefined) msg.event = event;
      if (retry !== undefined) msg.retry = retry;
      retry = undefined;
      out.push(msg);
    },
  });
  return {
    push(text) {
      parser.feed(text);
      const done = out;
      out = [];
      return done;
    },
  };
}

/** Parses a complete SSE text (an unterminated last message is dropped, as a client would). */
export function parseSse(input: string | Uint8Array): SseMessage[] {
  return sseReader().push(typeof input === "string" ? input : new TextDecoder().decode(input));
}

/**
 * Yields messages as they arrive. Breaking out of the loop, or aborting `signal`, cancels the
 * body — which is how a browser tab closing looks to the server.
 */
export async function* sseMessages(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const onAbort = () => reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  const decoder = new TextDecoder();
  const parser = sseReader();
  let done = false;
  try {
    while (!signal?.aborted) {
      const r = await reader.read();
      if (r.done) {
        done = true;
        break;
      }
      yield* parser.push(decoder.decode(r.value, { stream: true }));
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
/** GET an SSE endpoint, optionally resuming after `lastEventId`. */
export async function connectSse(
  url: string,
  opts: { lastEventId?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (opts.lastEventId !== undefined) headers["last-event-id"] = opts.lastEventId;
  const res = await fetch(url, { headers, signal: opts.signal });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`${url}: HTTP ${res.status}`);
  }
  return res;
}

/** The first `n` messages, then disconnects. Fewer if the stream ends first. */
export async function takeMessages(
  body: ReadableStream<Uint8Array>,
  n: number,
): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  if (n <= 0) {
    await body.cancel();
    return out;
  }
  for await (const m of sseMessages(body)) {
    out.push(m);
    if (out.length >= n) break;
  }
  return out;
}

/** Every message until the server ends the stream. */
export async function allMessages(body: ReadableStream<Uint8Array>): Promise<SseMessage[]> {
  return await Array.fromAsync(sseMessages(body));
}

/** Every raw chunk until the stream ends (for asserting how writes were coalesced). */
export async function allChunks(body: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  return await Array.fromAsync(body);
}
