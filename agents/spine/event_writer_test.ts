import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "../../tests/support/db.ts";
import { BatchWriter, EventWriter } from "./event_writer.ts";
import { eventStore, listEvents } from "../../db/events.ts";
import { EventType, type RunEvent } from "./events.ts";
import { LOCAL_USER_ID as OWNER } from "../../db/users.ts";

const ignore = await skipWithoutPostgres();

async function withRun(
  fn: (db: Awaited<ReturnType<typeof freshPostgres>>, runId: string) => Promise<void>,
) {
  const db = await freshPostgres();
  const runId = crypto.randomUUID();
  const conversationId = crypto.randomUUID();
  await db.sql`INSERT INTO conversations (id, user_id) VALUES (${conversationId}, ${OWNER})`;
  await db.sql`INSERT INTO runs (id, conversation_id, user_id, agent)
    VALUES (${runId}, ${conversationId}, ${OWNER}, 'a')`;
  try {
    await fn(db, runId);
  } finally {
    await db.close();
  }
}

const ev = (runId: string, seq: number): RunEvent => ({
  id: 1000 + seq,
  runId,
  seq,
  createdAt: Date.now(),
  event: { type: EventType.STEP_STARTED, stepName: `s${seq}` },
});

Deno.test(
  { name: "event writer: a burst is stored complete and in order", ignore },
  async () => {
    await withRun(async (db, runId) => {
      const writer = new EventWriter(eventStore(db.sql), { maxBatch: 100 });
      for (let i = 1; i <= 1234; i++) writer.enqueue(ev(runId, i));
      await writer.flush();
      const stored = await listEvents(db.sql, runId);
      assert.deepEqual(stored.map((e) => e.seq), Array.from({ length: 1234 }, (_, i) => i + 1));
      assert.equal(writer.written, 1234);
      assert.equal(writer.pending, 0);
    });
  },
);

/** The real store, failing the first `times` writes as a lost connection would. */
function flakyStore(sql: Parameters<typeof eventStore>[0], times: number) {
  const store = eventStore(sql);
  let left = times;
  return {
    store: (batch: RunEvent[]) => {
      if (left-- > 0) {
        return Promise.reject(Object.assign(new Error("write CONNECTION_CLOSED"), {
          code: "CONNECTION_CLOSED",
        }));
      }
      return store.store(batch);
    },
  };
}

Deno.test(
  { name: "event writer: a transient failure keeps the rows, in order, until stored", ignore },
  async () => {
    await withRun(async (db, runId) => {
      const errors: unknown[] = [];
      const writer = new EventWriter(flakyStore(db.sql, 3), {
        flushMs: 5,
        onError: (e) => errors.push(e),
      });
      for (let i = 1; i <= 5; i++) writer.enqueue(ev(runId, i));
      await writer.flush();
      assert.equal(errors.length, 3, "each failure was reported");
      assert.deepEqual((await listEvents(db.sql, runId)).map((e) => e.seq), [1, 2, 3, 4, 5]);
      assert.equal(writer.rejected, 0);
    });
  },
);

Deno.test(
  { name: "event writer: a row Postgres refuses for good is stored as a placeholder", ignore },
  async () => {
    await withRun(async (db, runId) => {
      const rejected: RunEvent[] = [];
      const writer = new EventWriter(eventStore(db.sql), {
        flushMs: 5,
        onRejected: (row) => rejected.push(row),
      });
      // Past the journal (which repairs text), as a bug elsewhere might: jsonb refuses NUL.
      const bad: RunEvent = {
        ...ev(runId, 3),
        event: { type: EventType.TEXT_MESSAGE_CONTENT, messageId: "m", delta: "a\u0000b" },
      };
      for (let i = 1; i <= 6; i++) writer.enqueue(i === 3 ? bad : ev(runId, i));
      await writer.flush();
      const stored = await listEvents(db.sql, runId);
      assert.deepEqual(stored.map((e) => e.seq), [1, 2, 3, 4, 5, 6], "seq stays gap-free");
      assert.equal(stored[2].id, bad.id, "the placeholder has the refused row's id");
      const placeholder = stored[2].event as { type: string; name: string; value: unknown };
      assert.equal(placeholder.type, EventType.CUSTOM);
      assert.equal(placeholder.name, "glassbox.unstorable");
      const value = placeholder.value as { type: string; reason: string };
      assert.equal(value.type, EventType.TEXT_MESSAGE_CONTENT);
      assert.match(value.reason, /^event could not be stored: 22P05/);
      assert.deepEqual(rejected.map((r) => r.seq), [3]);
      assert.equal(writer.written, 5);
      assert.equal(writer.rejected, 1);
    });
  },
);

Deno.test(
  { name: "event writer: a refused terminal event stays terminal in storage", ignore },
  async () => {
    await withRun(async (db, runId) => {
      const writer = new EventWriter(eventStore(db.sql), { flushMs: 5 });
      writer.enqueue({
        ...ev(runId, 1),
        event: { type: EventType.RUN_ERROR, message: "boom \u0000", code: "x" },
      });
      await writer.flush();
      const [stored] = await listEvents(db.sql, runId);
      assert.equal(stored.event.type, EventType.RUN_ERROR);
      assert.equal((stored.event as { code?: string }).code, "unstorable");
    });
  },
);

Deno.test(
  { name: "event writer: a row whose placeholder is refused too is dropped, others go on", ignore },
  async () => {
    await withRun(async (db, runId) => {
      const rejected: [number, boolean][] = [];
      const writer = new EventWriter(eventStore(db.sql), {
        flushMs: 5,
        onRejected: (row, _e, replaced) => rejected.push([row.seq, replaced]),
      });
      // The run row is gone (foreign key, class 23): no placeholder can be stored for it either.
      const gone = crypto.randomUUID();
      writer.enqueue(ev(runId, 1));
      writer.enqueue({ ...ev(gone, 1), id: 5000 });
      writer.enqueue(ev(runId, 2));
      await writer.flush();
      assert.deepEqual((await listEvents(db.sql, runId)).map((e) => e.seq), [1, 2]);
      assert.deepEqual(rejected, [[1, false]]);
      assert.equal(writer.pending, 0);
    });
  },
);

Deno.test(
  { name: "event writer: whenWritten waits for its own row, not an empty queue", ignore },
  async () => {
    await withRun(async (db, runId) => {
      const writer = new EventWriter(eventStore(db.sql), { flushMs: 1 });
      const first = writer.enqueue(ev(runId, 1));
      // Another producer keeps the queue from ever being empty.
      let seq = 1;
      const busy = setInterval(() => {
        for (let i = 0; i < 5; i++) writer.enqueue(ev(runId, ++seq));
      }, 1);
      try {
        await writer.whenWritten(first);
      } finally {
        clearInterval(busy);
      }
      await writer.flush();
      assert.equal((await listEvents(db.sql, runId)).length, seq);
    });
  },
);

Deno.test("batch writer: tickets 1, 2, 3… settle in order", async () => {
  const rows: number[] = [];
  const w = new BatchWriter<number>({ store: (b) => Promise.resolve(void rows.push(...b)) });
  assert.deepEqual([w.enqueue(1), w.enqueue(2), w.enqueue(3)], [1, 2, 3]);
  await w.whenWritten(2);
  assert.ok(rows.length >= 2);
  await w.flush();
  assert.deepEqual(rows, [1, 2, 3]);
  await w.whenWritten(1); // an already settled ticket resolves at once
});

Deno.test("writer: a store that never answers is given up after storeTimeoutMs and retried", async () => {
  const stored: number[][] = [];
  let calls = 0;
  let timeouts = 0;
  const writer = new BatchWriter<number>({
    store: (batch) => {
      // The first attempt hangs for ever (a connection whose peer vanished).
      if (calls++ === 0) return new Promise(() => {});
      stored.push(batch);
      return Promise.resolve();
    },
  }, { flushMs: 1, storeTimeoutMs: 50, onStoreTimeout: () => timeouts++ });
  writer.enqueue(1);
  writer.enqueue(2);
  await writer.flush();
  assert.equal(timeouts, 1);
  assert.deepEqual(stored, [[1, 2]]);
  assert.equal(writer.written, 2);
});
