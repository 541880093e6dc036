/** The journal with an in-memory id source and sink: ids, order, coalescing, settling, storage. */
import assert from "node:assert/strict";
import { EventWriter } from "./event_writer.ts";
import { EventIdPool, type IdSource } from "./event_id_pool.ts";
import { Journals, type Publisher } from "./journal.ts";
import { type AgUiEvent, EventType, type RunEvent } from "./events.ts";

/** Ids 1, 2, 3…; `hold()` makes allocations wait until `release()`. */
function idSource() {
  let next = 1;
  let gate: Promise<void> | null = null;
  let open = () => {};
  const source: IdSource & { hold(): void; release(): void; calls: number } = {
    calls: 0,
    async allocate(n) {
      source.calls++;
      if (gate) await gate;
      return Array.from({ length: n }, () => next++);
    },
    hold: () => void (gate = new Promise((r) => open = r)),
    release: () => {
      gate = null;
      open();
    },
  };
  return source;
}

function setup(
  opts: { blockSize?: number; coalesceMs?: number; publish?: Publisher; storeMs?: number } = {},
) {
  const source = idSource();
  const ids = new EventIdPool(source, opts.blockSize ?? 8);
  const stored: RunEvent[] = [];
  const writer = new EventWriter({
    store: async (b) => {
      // A write that takes a while, as a database's does: rows arrive meanwhile.
      if (opts.storeMs) await new Promise((r) => setTimeout(r, opts.storeMs));
      stored.push(...b);
    },
  }, {
    flushMs: 1,
  });
  const published: RunEvent[] = [];
  const hub = opts.publish ?? {
    publish: (_t: string, ev: RunEvent) => void published.push(ev),
    sending: () => undefined,
  };
  const journals = new Journals({
    ids,
    writer,
    hub,
    coalesceMs: opts.coalesceMs ?? 30,
    onPublishError: () => {},
  });
  return { source, ids, writer, stored, published, journals };
}

const step = (name: string): AgUiEvent => ({ type: EventType.STEP_STARTED, stepName: name });
const text = (delta: string, messageId = "m1"): AgUiEvent => ({
  type: EventType.TEXT_MESSAGE_CONTENT,
  messageId,
  delta,
});
const finished: AgUiEvent = { type: EventType.RUN_FINISHED, threadId: "t", runId: "r" };

Deno.test("journal: ids and gap-free seqs, published and stored in emit order", async () => {
  const { journals, published, stored, ids } = setup();
  await ids.ready();
  const j = journals.open("r");
  for (let i = 0; i < 20; i++) j.emit(step(`s${i}`));
  await journals.close("r");
  assert.deepEqual(published.map((e) => e.seq), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.deepEqual(stored.map((e) => e.id), published.map((e) => e.id));
  const sorted = [...published.map((e) => e.id)].sort((a, b) => a - b);
  assert.deepEqual(published.map((e) => e.id), sorted, "ids increase");
  assert.equal(journals.get("r"), undefined, "closed and forgotten");
});

Deno.test("journal: deltas of one message within the window are joined, in order", async () => {
  const { journals, published, ids } = setup({ coalesceMs: 10_000 });
  await ids.ready();
  const j = journals.open("r");
  j.emit(text("a"));
  assert.equal(published.length, 1, "the first delta after a quiet spell goes out at once");
  j.emit(text("b"));
  j.emit(text("c"));
  j.emit(step("next")); // flushes the buffered delta first
  await journals.close("r");
  const kinds = published.map((e) =>
    e.event.type === EventType.TEXT_MESSAGE_CONTENT ? e.event.delta : e.event.type
  );
  assert.deepEqual(kinds, ["a", "bc", EventType.STEP_STARTED]);
});

Deno.test("journal: events wait for ids in order; settled resolves once all have one", async () => {
  const { journals, published, ids, source } = setup({ blockSize: 4 });
  await ids.ready();
  const j = journals.open("r");
  source.hold(); // storage is away: the refill cannot complete
  for (let i = 0; i < 10; i++) j.emit(step(`s${i}`));
  const before = published.length;
  assert.ok(before < 10, `only the ids at hand were used (${before})`);
  let settled = false;
  const settling = j.settled().then(() => settled = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, false, "not settled while events wait for ids");
  source.release();
  await settling;
  assert.deepEqual(published.map((e) => e.seq), Array.from({ length: 10 }, (_, i) => i + 1));
  await journals.close("r");
});

Deno.test("journal: nothing follows a terminal event", async () => {
  const { journals, published, ids } = setup();
  await ids.ready();
  const j = journals.open("r");
  j.emit(step("a"));
  j.emit(finished);
  assert.equal(j.ended, true);
  j.emit(step("late"));
  j.emit(text("late"));
  await journals.close("r");
  assert.deepEqual(published.map((e) => e.event.type), [
    EventType.STEP_STARTED,
    EventType.RUN_FINISHED,
  ]);
});

Deno.test("journal: NUL and lone surrogates become U+FFFD before anyone sees them", async () => {
  const { journals, published, stored, ids } = setup();
  await ids.ready();
  const j = journals.open("r");
  j.emit(text("a\0b\ud800c"));
  j.emit({ type: EventType.CUSTOM, name: "x\udc00", value: { "k\0": ["\ud83d"] } });
  await journals.close("r");
  assert.equal((published[0].event as { delta: string }).delta, "a\uFFFDb\uFFFDc");
  assert.deepEqual(published[1].event, {
    type: EventType.CUSTOM,
    name: "x\uFFFD",
    value: { "k\uFFFD": ["\uFFFD"] },
    timestamp: published[1].event.timestamp,
  });
  assert.deepEqual(stored.map((e) => e.event), published.map((e) => e.event));
});

Deno.test("journal: an event is queued for storage even when publishing throws", async () => {
  let calls = 0;
  const { journals, stored, ids } = setup({
    publish: {
      publish: () => {
        if (++calls === 2) throw new Error("subscriber broke");
      },
      sending: () => undefined,
    },
  });
  await ids.ready();
  const j = journals.open("r");
  j.emit(step("a"));
  j.emit(step("b"));
  j.emit(step("c"));
  await journals.close("r");
  assert.deepEqual(stored.map((e) => e.seq), [1, 2, 3]);
});

Deno.test("journal: a run closes while other runs keep the writer busy", async () => {
  const { journals, ids } = setup({ blockSize: 4096, storeMs: 3 });
  await ids.ready();
  const a = journals.open("a");
  const b = journals.open("b");
  a.emit(step("a1"));
  a.emit(finished);
  let n = 0;
  const busy = setInterval(() => {
    for (let i = 0; i < 5; i++) b.emit(step(`b${n++}`));
  }, 1);
  let closed = false;
  try {
    await Promise.race([
      journals.close("a").then(() => closed = true),
      new Promise((r) => setTimeout(r, 5_000)),
    ]);
  } finally {
    clearInterval(busy);
  }
  assert.ok(closed, "run a closed while run b still wrote");
  await journals.close("b");
});

Deno.test("journal: the backlog bound is told once, counts events waiting for ids, re-arms", async () => {
  const source = idSource();
  const ids = new EventIdPool(source, 4);
  await ids.ready();
  // Only microtasks run until the end: the writer's flush timer never fires, nothing is stored.
  const writer = new EventWriter({ store: () => Promise.resolve() }, { flushMs: 1 });
  const full: number[] = [];
  const journals = new Journals({
    ids,
    writer,
    hub: { publish: () => {}, sending: () => undefined },
    coalesceMs: 30,
    maxPending: 10,
    onFull: (n) => full.push(n),
  });
  source.hold(); // and no new ids: events wait in the journal
  const j = journals.open("r");
  for (let i = 0; i < 9; i++) j.emit(step(`s${i}`));
  await Promise.resolve();
  assert.equal(journals.backlog.pending, 9);
  assert.ok(journals.backlog.waiting > 0, "some wait for ids");
  assert.deepEqual(full, []);
  for (let i = 9; i < 15; i++) j.emit(step(`s${i}`));
  await Promise.resolve();
  assert.deepEqual(full, [10], "once, at the bound, after the emit that reached it");
  assert.equal(journals.backlog.full, true);
  // Ids back, the writer runs: everything is stored, and the bound re-arms.
  source.release();
  await journals.close("r");
  assert.equal(journals.backlog.pending, 0);
  assert.equal(journals.backlog.full, false);
});
