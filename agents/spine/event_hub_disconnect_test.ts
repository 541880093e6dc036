/**
 * A subscriber's disconnect never throws out of the hub (defect 17 of issue 7). Served by a real
 * Deno.serve, a stream's chunks are read INSIDE `enqueue`: when the client is found gone there,
 * Deno cancels the stream synchronously, so the hub's next step for that subscriber — closing it
 * after the terminal event — met a cancelled controller: `Uncaught TypeError: The stream
 * controller cannot close or enqueue`, thrown from a timer, ending the process. Clients here
 * hang up right after the headers while their topic's events (and its terminal one) keep coming.
 */
import assert from "node:assert/strict";
import { EventHub } from "./event_hub.ts";
import { CUSTOM, custom, EventType, type RunEvent } from "./events.ts";
import { encodeJsonEnvelope } from "./sse.ts";

const ROUNDS = 60;
const CLIENTS = 20;

async function getAndHangUp(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(`GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`));
    const buf = new Uint8Array(4096);
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      head += new TextDecoder().decode(buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}

Deno.test("hub: clients hanging up while their stream runs never throw from a timer", async () => {
  const hub = new EventHub();
  let nextId = 0;
  const producers = new Set<ReturnType<typeof setInterval>>();
  // Each request subscribes to its own topic; events follow every millisecond, then a terminal
  // one after a varying number, so terminals land at every moment of the disconnect.
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
    const topic = `run:${crypto.randomUUID()}`;
    const stream = hub.subscribe({ topic, encoder: encodeJsonEnvelope, closeAfterTerminal: true });
    const last = nextId % 8;
    let seq = 0;
    const timer = setInterval(() => {
      const terminal = seq >= last;
      const ev: RunEvent = {
        id: ++nextId,
        runId: topic,
        seq: ++seq,
        createdAt: Date.now(),
        event: terminal
          ? { type: EventType.RUN_FINISHED, threadId: "t", runId: topic }
          : custom(CUSTOM.progress, { seq }),
      };
      hub.publish(topic, ev);
      if (terminal) {
        clearInterval(timer);
        producers.delete(timer);
      }
    }, 1);
    producers.add(timer);
    return new Response(stream, { headers: { "content-type": "text/event-stream" } });
  });
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(Array.from({ length: CLIENTS }, () => getAndHangUp(server.addr.port)));
    }
    // Every subscriber is dropped once its topic ended (no leak of the gone ones either).
    const deadline = Date.now() + 10_000;
    while (producers.size > 0 || hub.stats().subscribers > 0) {
      if (Date.now() > deadline) assert.fail(`still subscribed: ${hub.stats().subscribers}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    for (const t of producers) clearInterval(t);
    hub.close();
    await server.shutdown();
  }
});
