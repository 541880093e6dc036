/**
 * The worker side of worker_fetch.ts: makes the requests and reads each response body as fast as
 * the server sends it, into a buffer that the main thread takes whole on each pull — so however
 * long the main thread's turns are (a fan-out to thousands of viewers), a pull returns every
 * chunk that arrived meanwhile.
 *
 * `deno compile` embeds it only with `--include agents/llm/fetch_worker.ts` (deno.json's task).
 */
import type { FromWorker, ToWorker } from "./worker_fetch_protocol.ts";

/** Read ahead no further than this while the main thread does not pull. */
const MAX_BUFFERED = 8 << 20;

interface Call {
  abort: AbortController;
  parts: Uint8Array[];
  bytes: number;
  done: boolean;
  /** The main thread waits for data. */
  pulled: boolean;
  /** Resolves the body reader waiting for the main thread to take the buffer. */
  drained?: () => void;
}

const calls = new Map<number, Call>();
const post = (msg: FromWorker, transfer: Transferable[] = []) =>
  self.postMessage(msg, { transfer });

self.onmessage = ({ data }: MessageEvent<ToWorker>) => {
  if (data.type === "request") void request(data);
  else if (data.type === "pull") {
    const call = calls.get(data.id);
    if (call) {
      call.pulled = true;
      deliver(data.id, call);
    }
  } else {
    calls.get(data.id)?.abort.abort();
    calls.delete(data.id);
  }
};

async function request(msg: Extract<ToWorker, { type: "request" }>): Promise<void> {
  const call: Call = {
    abort: new AbortController(),
    parts: [],
    bytes: 0,
    done: false,
    pulled: false,
  };
  calls.set(msg.id, call);
  let res: Response;
  try {
    res = await fetch(msg.url, {
      method: msg.method,
      headers: msg.headers,
      body: msg.body,
      signal: call.abort.signal,
      redirect: msg.redirect,
    });
  } catch (err) {
    calls.delete(msg.id);
    post({ type: "error", id: msg.id, message: errorMessage(err) });
    return;
  }
  post({
    type: "head",
    id: msg.id,
    status: res.status,
    statusText: res.statusText,
    headers: [...res.headers],
  });
  if (!res.body) {
    call.done = true;
    deliver(msg.id, call);
    return;
  }
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      call.parts.push(value);
      call.bytes += value.byteLength;
      deliver(msg.id, call);
      if (call.bytes >= MAX_BUFFERED) await new Promise<void>((r) => call.drained = r);
      if (!calls.has(msg.id)) return; // aborted meanwhile
    }
  } catch (err) {
    if (calls.delete(msg.id)) post({ type: "error", id: msg.id, message: errorMessage(err) });
    return;
  }
  call.done = true;
  deliver(msg.id, call);
}

/** Hands the main thread everything buffered, as one chunk, if it is waiting for it. */
function deliver(id: number, call: Call): void {
  if (!call.pulled || (call.bytes === 0 && !call.done)) return;
  call.pulled = false;
  const chunk = call.bytes === 0 ? null : join(call.parts, call.bytes);
  call.parts = [];
  call.bytes = 0;
  if (call.done) calls.delete(id);
  post({ type: "data", id, chunk, done: call.done }, chunk ? [chunk.buffer] : []);
  call.drained?.();
  call.drained = undefined;
}

function join(parts: Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
