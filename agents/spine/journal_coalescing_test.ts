import assert from "node:assert/strict";
import { EventHub } from "./event_hub.ts";
import { EventIdPool } from "./event_id_pool.ts";
import { EventWriter } from "./event_writer.ts";
import { type AgUiEvent, EventType, type RunEvent } from "./events.ts";
import { Journals, runTopic } from "./journal.ts";
import { encodeJsonEnvelope } from "./sse.ts";
import { waitFor } from "../../tests/support/wait.ts";

const td = new TextDecoder();
const turn = () => new Promise((r) => setTimeout(r, 0));

/** A journal on a real hub, ids from a counter, rows kept in memory. */
async function setup(coalesceMs: number) {
  const hub = new EventHub({ minWaitMs: 0, maxWaitMs: 60_000 });
  let next = 1;
  const ids = new EventIdPool({
    allocate: (n) => Promise.resolve(Array.from({ length: n }, () => next++)),
  }, 64);
  await ids.ready();
  const stored: RunEvent[] = [];
  const writer = new EventWriter({
    store: (batch) => {
      stored.push(...batch);
      return Promise.resolve();
    },
  });
  const journals = new Journals({ ids, writer, hub, coalesceMs });
  return { hub, journals, journal: journals.open("r1"), stored };
}

const start: AgUiEvent = { type: EventType.TEXT_MESSAGE_START, messageId: "m1", role: "assistant" };
const end: AgUiEvent = { type: EventType.TEXT_MESSAGE_END, messageId: "m1" };
const delta = (d: string): AgUiEvent => ({
  type: EventType.TEXT_MESSAGE_CONTENT,
  messageId: "m1",
  delta: d,
});
const deltas = (events: RunEvent[]) =>
  events.flatMap((e) => e.event.type === EventType.TEXT_MESSAGE_CONTENT ? [e.event.delta] : []);

Deno.test("deltas join while the run's previous fan-out is in flight; none is lost", async () => {
  const { hub, journals, journal, stored } = await setup(0); // no time window: only the fan-out
  // A viewer slow to come back for more: each write is in flight until it reads again.
  const slow = hub.subscribe({ topic: runTopic("r1"), encoder: encodeJsonEnvelope }).getReader();
  const fast = hub.subscribe({ topic: runTopic("r1"), encoder: encodeJsonEnvelope });
  const fastText = (async () => {
    let text = "";
    for await (const c of fast) text += td.decode(c);
    return text;
  })();
  await turn();
  const first = slow.read();
  journal.emit(start);
  await first; // it took the start and does not come back yet
  for (const d of ["a", "b", "c"]) {
    journal.emit(delta(d)); // the model keeps being read: nothing waits for the fan-out
    await turn();
  }
  assert.deepEqual(deltas(journal.events), [], "no delta published while the fan-out is in flight");
  const second = slow.read(); // back: the fan-out has landed, the joined delta goes out
  await waitFor(() => journal.events.length === 2, "the joined delta");
  assert.deepEqual(deltas(journal.events), ["abc"]);
  await second;
  journal.emit(delta("d")); // in flight again (the slow viewer holds "abc")
  journal.emit(delta("e"));
  journal.emit(end); // a later event takes what waits along, in order
  assert.deepEqual(deltas(journal.events), ["abc", "de"]);
  assert.deepEqual(journal.events.map((e) => e.seq), [1, 2, 3, 4]);
  assert.equal(journal.events.at(-1)!.event.type, EventType.TEXT_MESSAGE_END);

  await journals.close("r1");
  assert.deepEqual(stored, journal.events); // stored once each, in order
  const third = slow.read();
  hub.close();
  await third;
  await slow.cancel();
  const received = (await fastText).split("\n\n").filter(Boolean).map((f) =>
    JSON.parse(f.split("data: ")[1]) as RunEvent
  );
  assert.deepEqual(received, journal.events); // every viewer gets the same events
});

Deno.test("with nothing in flight a delta after a quiet spell goes out at once; later ones join for coalesceMs", async () => {
  const { hub, journals, journal } = await setup(60_000);
  journal.emit(start);
  journal.emit(delta("a")); // nobody watches: nothing in flight, and no delta yet
  assert.deepEqual(deltas(journal.events), ["a"]);
  journal.emit(delta("b"));
  journal.emit(delta("c"));
  assert.deepEqual(deltas(journal.events), ["a"]); // within coalesceMs of "a": they wait, joined
  journal.emit(end);
  assert.deepEqual(deltas(journal.events), ["a", "bc"]);
  await journals.close("r1");
  hub.close();
});
