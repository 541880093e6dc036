/**
 * The instances table: one row per running Glassbox process, holding a lease it renews. Runs of
 * an instance whose lease expired (or that has no row) cannot continue: `interruptOrphanedRuns`
 * marks them interrupted and stores each one's terminal event, so every stream of them ends.
 */
import type { Sql } from "./client.ts";
import type { RunEvent } from "../agents/spine/events.ts";

export async function registerInstance(
  sql: Sql,
  i: { id: string; pid: number; host: string; leaseMs: number },
): Promise<void> {
  await sql`
    INSERT INTO instances (id, pid, host, lease_until)
    VALUES (${i.id}, ${i.pid}, ${i.host}, now() + ${i.leaseMs} * interval '1 millisecond')`;
}

/** Extends the lease; false when the row is gone (another instance took this one for dead). */
export async function renewLease(sql: Sql, id: string, leaseMs: number): Promise<boolean> {
  const rows = await sql`
    UPDATE instances SET lease_until = now() + ${leaseMs} * interval '1 millisecond'
    WHERE id = ${id} RETURNING id`;
  return rows.length > 0;
}

export async function removeInstance(sql: Sql, id: string): Promise<void> {
  await sql`DELETE FROM instances WHERE id = ${id}`;
}

/**
 * Marks interrupted every running run not of `self` whose instance holds no live lease (with
 * `everyone`, every running run not of `self`: the embedded database has one process; a run from
 * before leases existed counts once it has been quiet for 10 minutes), stores its
 * terminal RUN_ERROR (code "interrupted", the next seq; none when a terminal event is stored
 * already), forgets expired instances, and returns
 * those terminal events.
 */
export async function interruptOrphanedRuns(
  sql: Sql,
  self: string,
  opts: { everyone: boolean; reason: string },
): Promise<RunEvent[]> {
  const now = Date.now();
  const payload = { type: "RUN_ERROR", message: opts.reason, code: "interrupted", timestamp: now };
  const rows = await sql`
    WITH lost AS (
      UPDATE runs r SET status = 'interrupted', ended_at = now(), error = ${opts.reason}
      WHERE r.status = 'running' AND r.instance_id IS DISTINCT FROM ${self}
        AND (${opts.everyone}
          OR (r.instance_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM instances i WHERE i.id = r.instance_id AND i.lease_until >= now()))
          -- Started before leases existed (migration 005): orphans once quiet for 10 minutes.
          OR (r.instance_id IS NULL AND r.started_at < now() - interval '10 minutes'
            AND NOT EXISTS (SELECT 1 FROM events e
              WHERE e.run_id = r.id AND e.created_at > now() - interval '10 minutes')))
      RETURNING r.id
    )
    INSERT INTO events (id, run_id, seq, type, payload, created_at)
    SELECT nextval('events_id_seq'), lost.id,
      coalesce((SELECT max(e.seq) FROM events e WHERE e.run_id = lost.id), 0) + 1,
      'RUN_ERROR', ${sql.json(payload)}, ${new Date(now)}
    FROM lost
    -- A run whose own terminal event is stored (only its status was left) gets no second one.
    WHERE NOT EXISTS (SELECT 1 FROM events e
      WHERE e.run_id = lost.id AND e.type IN ('RUN_FINISHED', 'RUN_ERROR'))
    ON CONFLICT (run_id, seq) DO NOTHING
    RETURNING id, run_id, seq`;
  await sql`DELETE FROM instances WHERE id <> ${self} AND lease_until < now()`;
  return rows.map((r) => ({
    id: Number(r.id),
    runId: r.run_id as string,
    seq: r.seq as number,
    createdAt: now,
    event: payload as unknown as RunEvent["event"],
  }));
}

/**
 * Whether run `runId` was ended by someone other than `self` (another instance's sweep): its row
 * is no longer running here, and a terminal event is stored — then the seq of the first stored
 * terminal event; otherwise null.
 */
export async function takenOverAt(sql: Sql, runId: string, self: string): Promise<number | null> {
  const [row] = await sql`
    SELECT r.status, r.instance_id,
      (SELECT min(e.seq) FROM events e
        WHERE e.run_id = r.id AND e.type IN ('RUN_FINISHED', 'RUN_ERROR')) AS terminal_seq
    FROM runs r WHERE r.id = ${runId}`;
  if (!row || row.terminal_seq === null) return null;
  if (row.status === "running" && row.instance_id === self) return null;
  return Number(row.terminal_seq);
}
