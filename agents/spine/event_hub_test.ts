import assert from "node:assert/strict";
import { type Encoder, EventHub } from "./event_hub.ts";
import { CUSTOM, custom, EventType, type RunEvent } from "./events.ts";
import { encodeJsonEnvelope, encodeJsonEvent } from "./sse.ts";
import {
  allChunks,
  allMessages,
  connectSse,
  parseSse,
  takeMessages,
} from "../../tests/support/sse_client.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ev(id: number, pad = 0): RunEvent {
  return {
    id,
    runId: "r1",
    seq: id,
    createdAt: 1_700_000_000_000 + id,
    event: custom(CUSTOM.log, { n: id, pad: "x".repeat(pad) }),
  };
}
function finished(id: number): RunEvent {
  return { ...ev(id), event: { type: EventType.RUN_FINISHED, threadId: "t1", runId: "r1" } };
}
const ids = (text: string) => parseSse(text).map((m) => Number(m.id));
const text = async (s: ReadableStream<Uint8Array>) => td.decode(concat(await allChunks(s)));
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  chunks.reduce((n, c) => (out.set(c, n), n + c.byteLength), 0);
  return out;
}

Deno.test("each event is encoded once per encoder and the same bytes go to every subscriber", async () => {
  using hub = new EventHub({ minWaitMs: 1000, maxWaitMs: 1000 });
  let calls = 0;
  const counting: Encoder = (e) => (calls++, encodeJsonEvent(e));
  const json = Array.from(
    { length: 100 },
    () => hub.subscribe({ topic: "run:r1", encoder: counting }),
  );
  const env = Array.from(
    { length: 3 },
    () => hub.subscribe({ topic: "run:r1", encoder: encodeJsonEnvelope }),
  );
  for (let i = 1; i <= 10; i++) hub.publish("run:r1", ev(i));
  assert.equal(calls, 10);
  hub.close();
  const chunks = await Promise.all(json.map(allChunks));
  // Immediate write of event 1, then one coalesced write of 2..10 — both shared by all 100.
  for (const c of chunks) {
    assert.deepEqual(
      c.map((x) => x.byteLength),
      chunks[0].map((x) => x.byteLength),
    );
  }
  assert.ok(chunks.every((c) => c[0] === chunks[0][0] && c[1] === chunks[0][1]), "same Uint8Array");
  assert.deepEqual(ids(td.decode(concat(chunks[0]))), range(1, 10));
  const envelope = parseSse(await text(env[0]));
  assert.deepEqual(JSON.parse(envelope[0].data), { ...ev(1) });
  await Promise.all(env.slice(1).map((s) => s.cancel()));
});

Deno.test("history then live: no duplicate, no gap; afterId filters both", async () => {
  using hub = new EventHub();
  const history = range(1, 5).map((i) => ev(i));
  const all = hub.subscribe({ topic: "t", encoder: encodeJsonEvent, history });
  const after3 = hub.subscribe({ topic: "t", encoder: encodeJsonEvent, history, afterId: 3 });
  const liveOnly = hub.subscribe({ topic: "t", encoder: encodeJsonEvent, afterId: 6 });
  // 4 and 5 are published late (the writer committed before the reader read history).
  for (const i of [4, 5, 6, 7, 8]) hub.publish("t", ev(i));
  hub.close();
  assert.deepEqual(ids(await text(all)), range(1, 8));
  assert.deepEqual(ids(await text(after3)), range(4, 8));
  assert.deepEqual(ids(await text(liveOnly)), [7, 8]);
});

Deno.test("a live topic's history is encoded once per encoding for all joiners; later ones add only what is new", async () => {
  using hub = new EventHub();
  let calls = 0;
  const counting: Encoder = (e) => (calls++, encodeJsonEvent(e));
  const history = range(1, 50).map((i) => ev(i));
  const joiners = Array.from(
    { length: 100 },
    () => hub.subscribe({ topic: "t", encoder: counting, history }),
  );
  assert.equal(calls, 50, "50 events, encoded once for 100 joiners");
  history.push(ev(51));
  hub.publish("t", ev(51)); // live: once more
  const late = hub.subscribe({ topic: "t", encoder: counting, history });
  assert.equal(calls, 52, "the late joiner's history: only event 51 encoded again");
  const resumed = hub.subscribe({ topic: "t", encoder: counting, history, afterId: 40 });
  assert.equal(calls, 63, "a resume from an id is its own (short) range");
  const other = hub.subscribe({ topic: "t", encoder: encodeJsonEnvelope, history });
  hub.close();
  for (const s of [...joiners, late]) assert.deepEqual(ids(await text(s)), range(1, 51));
  assert.deepEqual(ids(await text(resumed)), range(41, 51));
  assert.deepEqual(JSON.parse(parseSse(await text(other))[50].data), { ...ev(51) });
});

Deno.test("joining while events wait for the flush: no duplicate of history, nothing earlier", async () => {
  using hub = new EventHub({ minWaitMs: 1000, maxWaitMs: 1000 });
  const a = hub.subscribe({ topic: "t", encoder: encodeJsonEvent });
  for (const i of [1, 2, 3]) hub.publish("t", ev(i)); // 1 written, 2 and 3 wait
  // b read 1..3 from the database; c wants live events only.
  const b = hub.subscribe({
    topic: "t",
    encoder: encodeJsonEvent,
    history: range(1, 3).map((i) => ev(i)),
  });
  const c = hub.subscribe({ topic: "t", encoder: encodeJsonEvent });
  for (const i of [4, 5]) hub.publish("t", ev(i));
  hub.close(); // flushes 2..5 in one go
  assert.deepEqual(ids(await text(a)), range(1, 5));
  assert.deepEqual(ids(await text(b)), range(1, 5));
  assert.deepEqual(ids(await text(c)), [4, 5]);
});

Deno.test("closeAfterTerminal: live, coalesced and in history", async () => {
  using hub = new EventHub({ minWaitMs: 5 });
  const closing = hub.subscribe({ topic: "t", encoder: encodeJsonEvent, closeAfterTerminal: true });
  const tail = hub.subscribe({ topic: "t", encoder: encodeJsonEvent });
  for (const e of [ev(1), ev(2), finished(3), ev(4)]) hub.publish("t", e); // 2..4 coalesced
  assert.deepEqual(ids(await text(closing)), [1, 2, 3]); // ends without hub.close()
  assert.equal(hub.stats().subscribers, 1);
  const direct = hub.subscribe({ topic: "u", encoder: encodeJsonEvent, closeAfterTerminal: true });
  hub.publish("u", finished(1));
  assert.deepEqual(ids(await text(direct)), [1]);
  const late = hub.subscribe({
    topic: "t",
    encoder: encodeJsonEvent,
    history: [ev(1), finished(2)],
    closeAfterTerminal: true,
  });
  assert.deepEqual(ids(await text(late)), [1, 2]);
  assert.equal(hub.stats().subscribers, 1);
  hub.close();
  assert.deepEqual(ids(await text(tail)), [1, 2, 3, 4]);
});

Deno.test("a terminal event closes closeAfterTerminal subscribers even if its encoding is null", async () => {
  using hub = new EventHub();
  const onlyLogs: Encoder = (e) => e.event.type === EventType.CUSTOM ? encodeJsonEvent(e) : null;
  const s = hub.subscribe({ topic: "t", encoder: onlyLogs, closeAfterTerminal: true });
  hub.publish("t", finished(1));
  assert.equal(await text(s), "");
});

Deno.test("a subscriber that never reads is cut off; its queue stays under the cap", async () => {
  using hub = new EventHub({ maxQueuedBytes: 20_000, maxWaitMs: 1 });
  const slow = hub.subscribe({ topic: "t", encoder: encodeJsonEvent });
  const fast = hub.subscribe({ topic: "t", encoder: encodeJsonEvent });
  const fastText = text(fast);
  for (let batch = 0; batch < 50; batch++) {
    for (let i = 1; i <= 20; i++) hub.publish("t", ev(batch * 20 + i, 100));
    await delay(2);
  }
  assert.equal(hub.stats().cutOff, 1);
  assert.equal(hub.stats().subscribers, 1);
  hub.close();
  assert.deepEqual(ids(await fastText), range(1, 1000));
  const slowBytes = concat(await allChunks(slow)); // what the slow one gets before a clean end
  assert.ok(slowBytes.byteLength <= 20_000, `${slowBytes.byteLength}`);
  const got = ids(td.decode(slowBytes));
  assert.deepEqual(got, range(1, got.length)); // a prefix of whole frames: resume after the last
  assert.ok(td.decode(slowBytes).endsWith("\n\n"));
});

Deno.test("a cut-off subscriber that does not drain is aborted after the grace period", async () => {
  using hub = new EventHub({ maxQueuedBytes: 1_000, keepAliveMs: 20 });
  const slow = hub.subscribe({ topic: "t", encoder: encodeJsonEvent });
  for (let i = 1; i <= 20; i++) hub.publish("t", ev(i, 100)); // 2..20 cut it at the flush
  await delay(100);
  assert.equal(hub.stats().cutOff, 1);
  await assert.rejects(slow.getReader().read()); // errored: queue freed, connection aborted
});

/** Reads a stream in the background the way Deno.serve does: comes back for more at once. */
function drain(s: ReadableStream<Uint8Array>) {
  const chunks: string[] = [];
  const done = (async () => {
    for await (const c of s) chunks.push(td.decode(c));
  })();
  return { chunks, done };
}
const turn = () => delay(0);

Deno.test("writes coalesce under load; the first event after a quiet spell goes out at once", async () => {
  using hub = new EventHub({ minWaitMs: 20 });
  const s = drain(hub.subscribe({ topic: "t", encoder: encodeJsonEvent }));
  await turn(); // the reader is waiting
  hub.publish("t", ev(1));
  await turn(); // enqueued by publish itself: no timer has run (the shortest gap is 20 ms)
  assert.deepEqual(s.chunks.map(ids), [[1]]);
  for (let i = 2; i <= 40; i++) hub.publish("t", ev(i)); // within the gap: these wait
  await until(() => s.chunks.length === 2); // one write, from the shared timer
  const expected = concat(range(2, 40).map((i) => encodeJsonEvent(ev(i))));
  assert.equal(s.chunks[1], td.decode(expected)); // identical bytes, in order
  await until(() => hub.sending("t") === undefined); // landed, nothing waits
  await delay(40); // a spell without events, longer than the shortest gap: quiet again
  hub.publish("t", ev(41));
  await turn();
  assert.deepEqual(s.chunks.map(ids).at(-1), [41]);
  hub.close();
  await s.done;
});

Deno.test("a write in flight holds later events until every waiting reader came back; then one write", async () => {
  using hub = new EventHub({ minWaitMs: 0, maxWaitMs: 60_000 });
  const fast = drain(hub.subscribe({ topic: "t", encoder: encodeJsonEvent }));
  const slow = hub.subscribe({ topic: "t", encoder: encodeJsonEvent }).getReader();
  await turn();
  const first = slow.read(); // waiting for the first write, like the fast one
  hub.publish("t", ev(1));
  assert.deepEqual(ids(td.decode((await first).value)), [1]);
  // The slow reader took event 1 but has not come back: the write has not landed.
  const landed = hub.sending("t");
  assert.ok(landed);
  for (let i = 2; i <= 5; i++) hub.publish("t", ev(i));
  for (let i = 0; i < 5; i++) await turn();
  assert.deepEqual(fast.chunks.map(ids), [[1]], "nothing written while the write is in flight");
  const next = slow.read(); // it comes back: the write has landed, 2..5 go out together
  assert.deepEqual(ids(td.decode((await next).value)), [2, 3, 4, 5]);
  await until(() => fast.chunks.length === 2);
  assert.deepEqual(fast.chunks.map(ids), [[1], [2, 3, 4, 5]]);
  const again = slow.read(); // back again: nothing of the topic is on its way any more
  await landed;
  assert.equal(hub.sending("t"), undefined);
  hub.close();
  assert.equal((await again).done, true);
  await fast.done;
});

Deno.test("a reader that never comes back holds writes no longer than maxWaitMs", async () => {
  using hub = new EventHub({ minWaitMs: 0, maxWaitMs: 30 });
  const fast = drain(hub.subscribe({ topic: "t", encoder: encodeJsonEvent }));
  const stuck = hub.subscribe({ topic: "t", encoder: encodeJsonEvent }).getReader();
  await turn();
  const first = stuck.read();
  hub.publish("t", ev(1));
  await first; // and never reads again
  hub.publish("t", ev(2));
  await until(() => fast.chunks.length === 2); // given up after maxWaitMs: 2 goes out
  hub.publish("t", ev(3)); // the stuck one is no longer waited for
  await until(() => fast.chunks.length === 3);
  assert.deepEqual(fast.chunks.map(ids), [[1], [2], [3]]);
  hub.close();
  await fast.done;
  await stuck.cancel();
});

Deno.test("the window adapts: with a cheap fan-out, events a few ms apart are not held back", async () => {
  using hub = new EventHub({ maxWaitMs: 200, minWaitMs: 1 });
  const s = hub.subscribe({ topic: "t", encoder: encodeJsonEvent });
  const reader = s.getReader();
  for (let i = 1; i <= 5; i++) {
    hub.publish("t", ev(i));
    const r = reader.read();
    // With the full 200 ms window every event after the first would wait for the flush timer.
    const got = await Promise.race([r, delay(0).then(() => "late" as const)]);
    assert.notEqual(got, "late", `event ${i} was held back`);
    assert.deepEqual(ids(td.decode((await r).value)), [i]);
    await delay(15);
  }
  reader.releaseLock();
  hub.close();
  await s.cancel();
});

Deno.test("cancel removes the subscriber at once; endTopic ends only that topic", async () => {
  using hub = new EventHub();
  const a = hub.subscribe({ topic: "a", encoder: encodeJsonEvent });
  const b = hub.subscribe({ topic: "b", encoder: encodeJsonEvent });
  assert.deepEqual(hub.stats(), { topics: 2, subscribers: 2, cutOff: 0, published: 0 });
  await a.cancel();
  assert.deepEqual(hub.stats(), { topics: 1, subscribers: 1, cutOff: 0, published: 0 });
  hub.publish("a", ev(1));
  hub.publish("b", ev(1));
  hub.endTopic("b");
  assert.deepEqual(ids(await text(b)), [1]);
  assert.deepEqual(hub.stats(), { topics: 0, subscribers: 0, cutOff: 0, published: 2 });
  hub.close(); // a closed hub hands out empty, already closed streams
  assert.equal(
    await text(hub.subscribe({ topic: "b", encoder: encodeJsonEvent, history: [ev(1)] })),
    "",
  );
});

Deno.test("keep-alive comments go to every subscriber; preamble comes first", async () => {
  using hub = new EventHub({ keepAliveMs: 15 });
  const preamble = te.encode("retry: 1000\n\n");
  const s = hub.subscribe({ topic: "t", encoder: encodeJsonEvent, preamble });
  const t = hub.subscribe({ topic: "u", encoder: encodeJsonEnvelope });
  await delay(40);
  hub.close();
  const [st, tt] = [await text(s), await text(t)];
  assert.match(st, /^retry: 1000\n\n(: keep-alive\n\n)+$/);
  assert.match(tt, /^(: keep-alive\n\n)+$/);
});

Deno.test("an encoder that throws is reported and does not stop other encodings", async () => {
  const errors: number[] = [];
  using hub = new EventHub({ onEncodeError: (_e, e) => errors.push(e.id) });
  const bad = hub.subscribe({ topic: "t", encoder: () => JSON.parse("{") });
  const good = hub.subscribe({ topic: "t", encoder: encodeJsonEvent });
  hub.publish("t", ev(1));
  hub.close();
  assert.deepEqual(errors, [1]);
  assert.equal(await text(bad), "");
  assert.deepEqual(ids(await text(good)), [1]);
});

// ---- over real HTTP ----

/** A run's persisted events plus the hub, behind Deno.serve on an ephemeral loopback port. */
function serveRun(hub: EventHub) {
  const store: RunEvent[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const last = req.headers.get("last-event-id");
    // Read history and subscribe in the same synchronous tick: nothing lost, nothing repeated.
    const body = hub.subscribe({
      topic: "run:r1",
      encoder: encodeJsonEvent,
      history: store,
      afterId: last === null ? undefined : Number(last),
      closeAfterTerminal: true,
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  });
  const emit = (e: RunEvent) => (store.push(e), hub.publish("run:r1", e));
  return { url: `http://127.0.0.1:${server.addr.port}/`, server, emit };
}

async function until(cond: () => boolean, ms = 3000) {
  for (const end = Date.now() + ms; !cond(); await delay(5)) {
    if (Date.now() > end) throw new Error("timed out");
  }
}

Deno.test("HTTP: disconnect mid-run and resume with Last-Event-ID gets exactly the missing events", async () => {
  using hub = new EventHub();
  const { url, server, emit } = serveRun(hub);
  try {
    for (let i = 1; i <= 5; i++) emit(ev(i));
    const first = await connectSse(url);
    await until(() => hub.stats().subscribers === 1);
    for (let i = 6; i <= 8; i++) emit(ev(i));
    const seen = await takeMessages(first.body!, 7); // 5 history + 2 live, then hang up
    assert.deepEqual(seen.map((m) => Number(m.id)), range(1, 7));
    await until(() => hub.stats().subscribers === 0); // the server noticed the disconnect
    for (let i = 9; i <= 12; i++) emit(ev(i)); // published while nobody watches
    const again = await connectSse(url, { lastEventId: seen.at(-1)!.id });
    await until(() => hub.stats().subscribers === 1);
    for (let i = 13; i <= 14; i++) emit(ev(i));
    emit(finished(15));
    const rest = await allMessages(again.body!); // ends after the terminal event
    assert.deepEqual(rest.map((m) => Number(m.id)), range(8, 15));
    assert.deepEqual(JSON.parse(rest[0].data), ev(8).event); // data: the AG-UI event itself
  } finally {
    hub.close();
    await server.shutdown();
  }
});

/** A raw HTTP client that sends its request and reads nothing until the hub has cut it off. */
async function cutOffClient(hub: EventHub, url: string, emit: (e: RunEvent) => void) {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(te.encode(`GET / HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`));
  await until(() => hub.stats().subscribers === 1);
  // Up to 40 MB offered; the kernel's socket buffers take a few MB, the rest would pile up.
  for (let i = 1; i <= 1000 && hub.stats().cutOff === 0; i++) {
    emit(ev(i, 40_000));
    await delay(0);
  }
  const { cutOff, subscribers, topics } = hub.stats();
  assert.deepEqual({ cutOff, subscribers, topics }, { cutOff: 1, subscribers: 0, topics: 0 });
  return conn;
}

/** Reads until `done(tail)` or EOF; returns the tail of what arrived and whether EOF came. */
async function readRaw(conn: Deno.Conn, done: (tail: string) => boolean) {
  const buf = new Uint8Array(1 << 16);
  let tail = "";
  for (let n; (n = await conn.read(buf).catch(() => null)) !== null;) {
    tail = (tail + td.decode(buf.subarray(0, n))).slice(-64);
    if (done(tail)) return { tail, eof: false };
  }
  return { tail, eof: true };
}

Deno.test("HTTP: a client that falls behind is cut off, gets what was queued and a clean end", async () => {
  using hub = new EventHub({ maxQueuedBytes: 256 << 10, keepAliveMs: 1000, maxWaitMs: 1 });
  const { url, server, emit } = serveRun(hub);
  const conn = await cutOffClient(hub, url, emit);
  try {
    // Whole frames, then the chunked-encoding terminator: the response ended normally.
    const { tail } = await readRaw(conn, (t) => t.endsWith("\r\n0\r\n\r\n"));
    assert.match(tail, /\n\n\r\n0\r\n\r\n$/);
  } finally {
    conn.close();
    hub.close();
    await server.shutdown();
  }
});

Deno.test("HTTP: a cut-off client that does not drain is disconnected after the grace period", async () => {
  using hub = new EventHub({ maxQueuedBytes: 256 << 10, keepAliveMs: 50, maxWaitMs: 1 });
  const { url, server, emit } = serveRun(hub);
  const conn = await cutOffClient(hub, url, emit);
  try {
    await delay(300); // reaped at the first keep-alive tick at least 50 ms after the cut
    const { tail, eof } = await readRaw(conn, () => false);
    assert.ok(eof);
    assert.doesNotMatch(tail, /0\r\n\r\n$/); // aborted, not ended: the queue was dropped
  } finally {
    conn.close();
    hub.close();
    await server.shutdown();
  }
});

Deno.test("counts: live subscribers per topic and label, down as they cancel, end or are cut off", async () => {
  using hub = new EventHub({ maxQueuedBytes: 1_000, maxWaitMs: 1 });
  const sorted = () => hub.counts().map((c) => `${c.topic}/${c.label}=${c.count}`).sort();
  const a1 = hub.subscribe({ topic: "a", encoder: encodeJsonEvent, label: "x" });
  const a2 = hub.subscribe({ topic: "a", encoder: encodeJsonEnvelope, label: "x" });
  hub.subscribe({ topic: "a", encoder: encodeJsonEvent, label: "y" });
  const b = hub.subscribe({ topic: "b", encoder: encodeJsonEvent });
  // A stream that ends with its history (complete) never subscribes: it is not counted.
  hub.subscribe({ topic: "a", encoder: encodeJsonEvent, label: "z", complete: true });
  assert.deepEqual(sorted(), ["a/x=2", "a/y=1", "b/=1"]);
  await a1.cancel();
  assert.deepEqual(sorted(), ["a/x=1", "a/y=1", "b/=1"]);
  hub.endTopic("b");
  await text(b);
  assert.deepEqual(sorted(), ["a/x=1", "a/y=1"]);
  // a2 and the first "y" never read: cut off at the cap, they no longer count.
  const drained = text(
    hub.subscribe({ topic: "a", encoder: encodeJsonEvent, label: "y", maxQueuedBytes: 1e6 }),
  );
  for (let i = 1; i <= 20; i++) hub.publish("a", ev(i, 100));
  await delay(20);
  assert.equal(hub.stats().cutOff, 2);
  assert.deepEqual(sorted(), ["a/y=1"]);
  hub.close();
  await drained;
  assert.deepEqual(hub.counts(), []);
  void a2;
});
