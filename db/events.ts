/**
 * The events table: append-only, one row per run event. `eventStore(sql)` is the spine's id
 * source and event sink (agents/spine/event_id_pool.ts, event_writer.ts), plugged in by app.ts.
 */
import { EventType } from "@ag-ui/core";
import type { JSONValue } from "postgres";
import type { Sql } from "./client.ts";
import { insertRunLogs } from "./log_records.ts";
import { ownedBy, type OwnerScope } from "./owner.ts";
import type { AgUiEvent, RunEvent } from "../agents/spine/events.ts";

/**
 * Ids from events_id_seq and batched inserts into events: what the journal needs of storage. The
 * batch's log records also go into log_records (the logs explorer's history); both inserts are
 * idempotent, so a retried batch neither fails nor repeats.
 */
export function eventStore(sql: Sql): {
  allocate(n: number): Promise<number[]>;
  store(batch: RunEvent[]): Promise<void>;
} {
  return {
    allocate: (n) => allocateEventIds(sql, n),
    store: async (batch) => {
      await insertEvents(sql, batch);
      await insertRunLogs(sql, batch);
    },
  };
}

/** Reserves `n` ids from events_id_seq so events can carry their SSE id before they are stored. */
export async function allocateEventIds(sql: Sql, n: number): Promise<number[]> {
  const rows =
    await sql`SELECT nextval('events_id_seq')::bigint AS id FROM generate_series(1, ${n})`;
  return rows.map((r) => Number(r.id));
}

/** 7 parameters a row; Postgres allows 65,535 a statement. */
const ROWS_PER_INSERT = 5000;

export async function insertEvents(sql: Sql, events: RunEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += ROWS_PER_INSERT) {
    const rows = events.slice(i, i + ROWS_PER_INSERT).map((e) => ({
      id: e.id,
      run_id: e.runId,
      seq: e.seq,
      type: e.event.type,
      name: e.event.type === EventType.CUSTOM ? e.event.name : null,
      payload: sql.json(e.event as unknown as JSONValue),
      created_at: new Date(e.createdAt),
    }));
    await sql`INSERT INTO events ${sql(rows)} ON CONFLICT (run_id, seq) DO NOTHING`;
  }
}

function toRunEvent(r: Record<string, unknown>): RunEvent {
  return {
    id: Number(r.id),
    runId: r.run_id as string,
    seq: r.seq as number,
    createdAt: (r.created_at as Date).getTime(),
    event: r.payload as AgUiEvent,
  };
}

export async function listEvents(sql: Sql, runId: string, afterId = 0): Promise<RunEvent[]> {
  const rows = await sql`
    SELECT id, run_id, seq, payload, created_at FROM events
    WHERE run_id = ${runId} AND id > ${afterId} ORDER BY seq`;
  return rows.map(toRunEvent);
}

/**
 * Whether a run not active in this process has ended: its terminal event is stored, or its row
 * has a final status (a run marked interrupted may have no terminal event). Its journal is
 * dropped once its events are stored, a moment before the status is written.
 */
export async function runEnded(sql: Sql, runId: string): Promise<boolean> {
  const [row] = await sql`
    SELECT EXISTS (
      SELECT 1 FROM events WHERE run_id = ${runId}
        AND type IN (${EventType.RUN_FINISHED}, ${EventType.RUN_ERROR})
    ) OR EXISTS (SELECT 1 FROM runs WHERE id = ${runId} AND status <> 'running') AS ended`;
  return row.ended === true;
}

/**
 * The newest log events of the runs in scope (a log record is its run's owner's), oldest first:
 * a log tail's first screen.
 */
export async function recentLogEvents(
  sql: Sql,
  scope: OwnerScope,
  limit: number,
  afterId = 0,
): Promise<RunEvent[]> {
  const rows = await sql`
    SELECT e.id, e.run_id, e.seq, e.payload, e.created_at FROM events e
    JOIN runs r ON r.id = e.run_id
    WHERE e.name = 'glassbox.log' AND e.id > ${afterId} ${ownedBy(sql, scope, "r.user_id")}
    ORDER BY e.id DESC LIMIT ${limit}`;
  return rows.map(toRunEvent).reverse();
}

/** The events of several runs (a conversation's), grouped by run, in order. */
export async function listEventsOfRuns(
  sql: Sql,
  runIds: string[],
): Promise<Map<string, RunEvent[]>> {
  const byRun = new Map<string, RunEvent[]>(runIds.map((id) => [id, []]));
  if (runIds.length === 0) return byRun;
  const rows = await sql`
    SELECT id, run_id, seq, payload, created_at FROM events
    WHERE run_id IN ${sql(runIds)} ORDER BY run_id, seq`;
  for (const r of rows) byRun.get(r.run_id as string)!.push(toRunEvent(r));
  return byRun;
}
