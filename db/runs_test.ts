import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "../tests/support/db.ts";
import { interruptStaleRuns } from "./runs.ts";
import { LOCAL_USER_ID } from "./users.ts";

const ignore = await skipWithoutPostgres();

Deno.test({
  name: "stale runs: only silent ones are interrupted when instances share Postgres",
  ignore,
}, async () => {
  const db = await freshPostgres();
  try {
    const c = crypto.randomUUID();
    await db.sql`INSERT INTO conversations (id, user_id) VALUES (${c}, ${LOCAL_USER_ID})`;
    const [orphan, busy, recent] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const hourAgo = new Date(Date.now() - 3600_000);
    for (
      const [id, started] of [[orphan, hourAgo], [busy, hourAgo], [recent, new Date()]] as const
    ) {
      await db.sql`INSERT INTO runs (id, conversation_id, user_id, agent, started_at)
        VALUES (${id}, ${c}, ${LOCAL_USER_ID}, 'a', ${started})`;
    }
    // `busy` (another instance's) stored an event a moment ago; `orphan` has been silent.
    await db.sql`INSERT INTO events (run_id, seq, type, payload)
      VALUES (${busy}, 1, 'STEP_STARTED', '{}'), (${orphan}, 1, 'STEP_STARTED', '{}')`;
    await db.sql`UPDATE events SET created_at = ${hourAgo} WHERE run_id = ${orphan}`;

    assert.equal(await interruptStaleRuns(db.sql, new Date(Date.now() + 1000), 10 * 60_000), 1);
    const status = async (id: string) =>
      (await db.sql`SELECT status FROM runs WHERE id = ${id}`)[0].status;
    assert.equal(await status(orphan), "interrupted");
    assert.equal(await status(busy), "running");
    assert.equal(await status(recent), "running");
    // Embedded (one process): everything still running from before is an orphan.
    assert.equal(await interruptStaleRuns(db.sql, new Date(Date.now() + 1000), 0), 2);
  } finally {
    await db.close();
  }
});
