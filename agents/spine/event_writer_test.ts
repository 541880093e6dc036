import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "../../tests/support/db.ts";
import { EventWriter } from "./event_writer.ts";
import { eventStore, listEvents } from "../../db/events.ts";
import { EventType, type RunEvent } from "./events.ts";
import { LOCAL_USER_ID as OWNER } from "../../db/users.ts";
import { waitFor } from "../../tests/support/wait.ts";

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

Deno.test(
  { name: "event writer: rows wait (in order) while the database refuses them", ignore },
  async () => {
    await withRun(async (db, runId) => {
      const errors: unknown[] = [];
      const writer = new EventWriter(eventStore(db.sql), {
        flushMs: 5,
        onError: (e) => errors.push(e),
      });
      // The run row is missing for a while: inserts fail on the foreign key, then succeed.
      const orphanRun = crypto.randomUUID();
      for (let i = 1; i <= 5; i++) writer.enqueue(ev(orphanRun, i));
      await waitFor(() => errors.length >= 1, "the failure reported");
      assert.equal(writer.pending, 5, "nothing was dropped");
      const conversation = (await db.sql`SELECT conversation_id FROM runs WHERE id = ${runId}`)[0];
      await db.sql`INSERT INTO runs (id, conversation_id, user_id, agent)
        VALUES (${orphanRun}, ${conversation.conversation_id}, ${OWNER}, 'a')`;
      await writer.flush();
      assert.deepEqual((await listEvents(db.sql, orphanRun)).map((e) => e.seq), [1, 2, 3, 4, 5]);
    });
  },
);
