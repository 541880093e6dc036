/**
 * Holds a Glassbox's event writer with a real lock: its INSERTs into `events` wait while another
 * connection holds the table ACCESS EXCLUSIVE, so a run that finished stays in its recording
 * phase (journal open and ended, row still `running`) until `release()`.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import type { TestServer } from "./server.ts";

export async function holdEventWriter(gb: TestServer): Promise<{ release(): Promise<void> }> {
  const url = gb.glassbox.deps.config.databaseUrl;
  assert.ok(url, "an external Postgres");
  const locker = postgres(url, { max: 1, onnotice: () => {} });
  let unlock!: () => void;
  const released = new Promise<void>((r) => unlock = r);
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => locked = r);
  const holding = locker.begin(async (tx) => {
    await tx`LOCK TABLE events IN ACCESS EXCLUSIVE MODE`;
    locked();
    await released;
  });
  await Promise.race([isLocked, holding]);
  return {
    async release() {
      unlock();
      await holding;
      await locker.end();
    },
  };
}
