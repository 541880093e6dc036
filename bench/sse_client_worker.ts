/**
 * SSE clients for the latency benchmark, in a Worker so that reading and parsing do not share an
 * event loop with the server. Each client is a plain fetch() reading the response body; the
 * receipt time of a message is when the read that completed it returned.
 *
 *   → { type: "ping", t }                 ← { type: "pong", t, tw }
 *   → { type: "connect", url, n }         ← { type: "connected" } once every response has headers
 *                                         ← { type: "done", latencies, received } when all ended
 *                                         ← { type: "error", message }
 */
type Inbound = { type: "ping"; t: number } | { type: "connect"; url: string; n: number };

const port = globalThis as unknown as {
  onmessage: ((e: MessageEvent<Inbound>) => void) | null;
  postMessage(msg: unknown, transfer?: Transferable[]): void;
};
const now = () => performance.timeOrigin + performance.now();

port.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === "ping") port.postMessage({ type: "pong", t: msg.t, tw: now() });
  else {
    clients(msg.url, msg.n).catch((err) =>
      port.postMessage({ type: "error", message: String(err?.stack ?? err) })
    );
  }
};

async function clients(url: string, n: number): Promise<void> {
  const responses = await Promise.all(
    Array.from({ length: n }, () => fetch(url, { headers: { accept: "text/event-stream" } })),
  );
  for (const r of responses) {
    if (!r.ok || !r.body) throw new Error(`${url}: HTTP ${r.status}`);
  }
  port.postMessage({ type: "connected" });
  const perClient = await Promise.all(responses.map((r) => read(r.body!)));
  const latencies = new Float64Array(perClient.reduce((s, l) => s + l.length, 0));
  let at = 0;
  for (const l of perClient) {
    latencies.set(l, at);
    at += l.length;
  }
  port.postMessage({ type: "done", latencies, received: perClient.map((l) => l.length) }, [
    latencies.buffer,
  ]);
}

/**
 * Latencies (ms) of the measured progress events of one stream, until the server ends it. A lean
 * reader, so that the client thread keeps up with 100 streams at 200 events/s on a busy machine:
 * complete messages are cut at the blank line and only the `"t":` and `"warm":` fields of the
 * progress value are read (the JSON encoding of the envelope is fixed by encodeJsonEnvelope).
 */
async function read(body: ReadableStream<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  const decoder = new TextDecoder();
  let carry = "";
  for await (const bytes of body) {
    const receivedAt = now();
    const text = carry + decoder.decode(bytes, { stream: true });
    const end = text.lastIndexOf("\n\n");
    if (end < 0) {
      carry = text;
      continue;
    }
    carry = text.slice(end + 2);
    for (let at = text.indexOf(T); at >= 0 && at < end; at = text.indexOf(T, at + 1)) {
      const t = parseFloat(text.slice(at + T.length, at + T.length + 24));
      if (!text.startsWith(WARM, text.indexOf(",", at) + 1)) out.push(receivedAt - t);
    }
  }
  return out;
}

const T = '"t":';
const WARM = '"warm":true';
