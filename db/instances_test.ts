import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "../tests/support/db.ts";
import { interruptOrphanedRuns, registerInstance, renewLease, takenOverAt } from "./instances.ts";
import { listEvents } from "./events.ts";
import { LOCAL_USER_ID } from "./users.ts";

const ignore = await skipWithoutPostgres();
const REASON = "its server stopped";

Deno.test({
  name: "instance leases: runs of an instance whose lease expired are interrupted, once",
  ignore,
}, async () => {
  const db = await freshPostgres();
  try {
    const [me, alive, dead] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    for (const [id, leaseMs] of [[me, 60_000], [alive, 60_000], [dead, 60_000]] as const) {
      await registerInstance(db.sql, { id, pid: 1, host: "h", leaseMs });
    }
    await db.sql`UPDATE instances SET lease_until = now() - interval '1 second' WHERE id = ${dead}`;
    const run = async (instance: string | null) => {
      const id = crypto.randomUUID();
      // One conversation each: a conversation has one running run at a time (migration 010).
      const c = crypto.randomUUID();
      await db.sql`INSERT INTO conversations (id, user_id) VALUES (${c}, ${LOCAL_USER_ID})`;
      await db.sql`INSERT INTO runs (id, conversation_id, user_id, agent, instance_id)
        VALUES (${id}, ${c}, ${LOCAL_USER_ID}, 'a', ${instance})`;
      return id;
    };
    const [mine, theirs, orphan, legacy, recent] = [
      await run(me),
      await run(alive),
      await run(dead),
      await run(null),
      await run(null),
    ];
    await db.sql`UPDATE runs SET started_at = now() - interval '1 hour' WHERE id = ${legacy}`;
    await db.sql`INSERT INTO events (run_id, seq, type, payload)
      VALUES (${orphan}, 1, 'RUN_STARTED', '{}'), (${orphan}, 2, 'STEP_STARTED', '{}')`;

    const ended = await interruptOrphanedRuns(db.sql, me, { everyone: false, reason: REASON });
    assert.deepEqual(ended.map((e) => e.runId).sort(), [orphan, legacy].sort());
    const status = async (id: string) =>
      (await db.sql`SELECT status, error FROM runs WHERE id = ${id}`)[0];
    assert.deepEqual({ ...await status(orphan) }, { status: "interrupted", error: REASON });
    assert.equal((await status(mine)).status, "running");
    assert.equal((await status(theirs)).status, "running");
    const events = await listEvents(db.sql, orphan);
    assert.deepEqual(events.map((e) => e.seq), [1, 2, 3], "the terminal event is the next seq");
    assert.deepEqual(
      { ...events[2].event, timestamp: 0 },
      { type: "RUN_ERROR", message: REASON, code: "interrupted", timestamp: 0 },
    );
    assert.equal(await renewLease(db.sql, dead, 1000), false, "the dead instance is forgotten");
    assert.equal(await renewLease(db.sql, me, 1000), true);
    // Done once: a second sweep finds nothing.
    assert.deepEqual(
      await interruptOrphanedRuns(db.sql, me, { everyone: false, reason: REASON }),
      [],
    );
    // Embedded (one process, the data directory locked): every other run is an orphan.
    const ended2 = await interruptOrphanedRuns(db.sql, me, { everyone: true, reason: REASON });
    assert.deepEqual(ended2.map((e) => e.runId).sort(), [theirs, recent].sort());
  } finally {
    await db.close();
  }
});

Deno.test({
  name: "instance leases: a stored terminal event gets no second one; takeovers are told apart",
  ignore,
}, async () => {
  const db = await freshPostgres();
  try {
    const [me, dead] = [crypto.randomUUID(), crypto.randomUUID()];
    await registerInstance(db.sql, { id: me, pid: 1, host: "h", leaseMs: 60_000 });
    await registerInstance(db.sql, { id: dead, pid: 2, host: "h", leaseMs: 60_000 });
    await db.sql`UPDATE instances SET lease_until = now() - interval '1 second' WHERE id = ${dead}`;
    const run = async () => {
      const id = crypto.randomUUID();
      const c = crypto.randomUUID();
      await db.sql`INSERT INTO conversations (id, user_id) VALUES (${c}, ${LOCAL_USER_ID})`;
      await db.sql`INSERT INTO runs (id, conversation_id, user_id, agent, instance_id)
        VALUES (${id}, ${c}, ${LOCAL_USER_ID}, 'a', ${dead})`;
      await db.sql`INSERT INTO events (run_id, seq, type, payload)
        VALUES (${id}, 1, 'RUN_STARTED', '{}')`;
      return id;
    };
    // Its events all stored (its own end too), only its status left when its instance died.
    const [finished, cut] = [await run(), await run()];
    await db.sql`INSERT INTO events (run_id, seq, type, payload)
      VALUES (${finished}, 2, 'RUN_FINISHED', '{}')`;
    assert.equal(await takenOverAt(db.sql, cut, dead), null, "still running there");

    const ended = await interruptOrphanedRuns(db.sql, me, { everyone: false, reason: REASON });
    assert.deepEqual(ended.map((e) => e.runId), [cut]);
    const types = await db.sql`SELECT type FROM events WHERE run_id = ${finished} ORDER BY seq`;
    assert.deepEqual(types.map((r) => r.type), ["RUN_STARTED", "RUN_FINISHED"], "no second end");
    const [{ status }] = await db.sql`SELECT status FROM runs WHERE id = ${finished}`;
    assert.equal(status, "interrupted");
    // What the dead instance's writer asks once it is back: where the other's terminal event is.
    assert.equal(await takenOverAt(db.sql, cut, dead), 2);
    assert.equal(await takenOverAt(db.sql, finished, dead), 2);
  } finally {
    await db.close();
  }
});
