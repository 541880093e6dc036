/**
 * Token coalescing per message or tool call (defect 8 of issue 7): with one buffer per run, two
 * sub-agents streaming at once collapsed it — each delta flushed the other stream's buffer, so
 * 200 interleaved deltas became 200 events. In-memory id source and sink (the journal's only
 * outside parts); the hub is the real one.
 */
import assert from "node:assert/strict";
import { EventType, type RunEvent } from "./events.ts";
import { EventIdPool } from "./event_id_pool.ts";
import { EventWriter } from "./event_writer.ts";
import { EventHub } from "./event_hub.ts";
import { RunJournal } from "./journal.ts";

function journalInMemory() {
  let next = 1;
  const stored: RunEvent[] = [];
  const ids = new EventIdPool({
    allocate: (n) => Promise.resolve(Array.from({ length: n }, () => next++)),
  });
  const writer = new EventWriter({
    store: (batch) => (stored.push(...batch), Promise.resolve()),
  });
  const hub = new EventHub();
  const journal = new RunJournal("r1", { ids, writer, hub, coalesceMs: 30 });
  return { ids, writer, hub, journal, stored };
}

Deno.test("journal: two streams interleaving are each coalesced, in order", async () => {
  const { ids, writer, hub, journal } = journalInMemory();
  await ids.ready();
  try {
    const sub = (n: number) => `sub-${n}`;
    for (const m of [1, 2]) {
      journal.emit({ type: EventType.TEXT_MESSAGE_START, messageId: sub(m), role: "assistant" });
    }
    // 200 deltas, alternating between the two messages, all within one coalescing window.
    for (let i = 0; i < 200; i++) {
      const m = 1 + (i % 2);
      journal.emit({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: sub(m), delta: `${i},` });
    }
    await journal.settled();
    const deltas = journal.events.filter((e) => e.event.type === EventType.TEXT_MESSAGE_CONTENT);
    // Each stream: its first delta at once, the other 99 joined into one.
    assert.equal(deltas.length, 4, `${deltas.length} delta events for 200 deltas`);
    for (const m of [1, 2]) {
      const text = deltas
        .filter((e) => (e.event as { messageId: string }).messageId === sub(m))
        .map((e) => (e.event as { delta: string }).delta).join("");
      const want = Array.from({ length: 100 }, (_, k) => `${2 * k + m - 1},`).join("");
      assert.equal(text, want, `message ${m} complete and in order`);
    }
    // Other events keep their place: an end follows every delta of its message.
    journal.emit({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: sub(1), delta: "last" });
    journal.emit({ type: EventType.TEXT_MESSAGE_CONTENT, messageId: sub(1), delta: "!" });
    journal.emit({ type: EventType.TEXT_MESSAGE_END, messageId: sub(1) });
    const tail = journal.events.slice(-2).map((e) => e.event);
    assert.deepEqual(tail.map((e) => e.type), ["TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END"]);
    assert.equal((tail[0] as { delta: string }).delta, "last!");
    assert.deepEqual(journal.events.map((e) => e.seq), journal.events.map((_, i) => i + 1));
  } finally {
    await writer.flush();
    hub.close();
  }
});
