/**
 * Test-only SSE client: reads a fetch Response body (or any byte stream) as SSE messages
 * incrementally, so a test can stop mid-stream (disconnect) and resume with Last-Event-ID.
 */
import { type SseMessage, SseParser } from "../../agents/spine/sse.ts";

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
  const parser = new SseParser();
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
