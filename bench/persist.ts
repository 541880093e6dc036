/**
 * Section 2: events persisted per second by EventWriter (defaults, as in app.ts), on the external
 * Postgres and on embedded PGlite; and what EventIdPool.take() costs.
 */
import { CUSTOM, custom, EventType, type RunEvent } from "../agents/spine/events.ts";
import type { Database } from "../db/client.ts";
import { EventIdPool } from "../agents/spine/event_id_pool.ts";
import { EventWriter } from "../agents/spine/event_writer.ts";
import { allocateEventIds, eventStore } from "../db/events.ts";
import {
  type Cleanup,
  freshPglite,
  freshPostgres,
  makeRuns,
  note,
  num,
  sleep,
  table,
} from "./support.ts";

export interface PersistOptions {
  events: number;
  runs: number;
  idTakes: number;
}

/** `n` events spread round-robin over the runs: 3 text deltas, then 1 progress event. */
async function makeEvents(db: Database, runIds: string[], n: number): Promise<RunEvent[]> {
  const ids = await allocateEventIds(db.sql, n);
  const seq = new Map(runIds.map((r) => [r, 0]));
  const createdAt = Date.now();
  return ids.map((id, i) => {
    const runId = runIds[i % runIds.length];
    const s = seq.get(runId)! + 1;
    seq.set(runId, s);
    const event = s % 4 === 0
      ? custom(CUSTOM.progress, { percent: s % 100, step: s, totalSteps: n, message: "Thinking" })
      : {
        type: EventType.TEXT_MESSAGE_CONTENT,
        messageId: `m-${runId}`,
        delta: "a coalesced slice of streamed answer text, ",
      } as const;
    return { id, runId, seq: s, createdAt, event: { ...event, timestamp: createdAt } };
  });
}

/**
 * Enqueues every event ("burst": in one synchronous loop; "paced": yielding to the event loop
 * after each 500, so the writer flushes batches of its maxBatch), then flush(); events/s until
 * all are stored, checked by counting the rows.
 */
async function writerRun(db: Database, o: PersistOptions, mode: "burst" | "paced") {
  const runIds = await makeRuns(db, o.runs);
  const events = await makeEvents(db, runIds, o.events);
  const writer = new EventWriter(eventStore(db.sql), {
    onError: (err) => note(`EventWriter error: ${err}`),
  });
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    writer.enqueue(events[i]);
    if (mode === "paced" && i % 500 === 499) await sleep(0);
  }
  const enqueued = performance.now() - t0;
  await writer.flush();
  const ms = performance.now() - t0;
  const [{ n }] = await db.sql`SELECT count(*)::int AS n FROM events WHERE run_id IN ${
    db.sql(runIds)
  }`;
  if (n !== o.events) throw new Error(`stored ${n} of ${o.events} events`);
  return { perSec: (o.events * 1000) / ms, ms, enqueued };
}

/**
 * take() in a tight loop, awaiting ready() when the pool runs dry: "sustained" counts the refill
 * round trips (one query per 512 ids); "hot path" only the synchronous take() calls that got an
 * id, which is what an emitting run pays while refills keep up in the background.
 */
async function idPoolRun(db: Database, n: number) {
  const pool = new EventIdPool(eventStore(db.sql));
  await pool.ready();
  let hotMs = 0;
  let taken = 0;
  const t0 = performance.now();
  while (taken < n) {
    const s = performance.now();
    let got = 0;
    while (got + taken < n && pool.take() !== null) got++;
    hotMs += performance.now() - s;
    taken += got;
    if (taken < n) await pool.ready();
  }
  const ms = performance.now() - t0;
  return { sustained: (n * 1000) / ms, hot: (n * 1000) / hotMs, nsPerTake: (hotMs * 1e6) / n };
}

export async function persistence(
  cleanup: Cleanup,
  o: PersistOptions,
): Promise<{ writer: string; ids: string }> {
  const writerRows: string[][] = [];
  const idRows: string[][] = [];
  const targets: [string, () => Promise<Database>][] = [
    ["Postgres (external)", () => freshPostgres(cleanup)],
    ["PGlite (embedded)", () => freshPglite(cleanup)],
  ];
  for (const [label, open] of targets) {
    const mark = cleanup.mark;
    note(`persistence: ${label}`);
    const db = await open();
    // One unmeasured warm-up round (connections, plans, the JIT), a tenth of the size.
    await writerRun(db, { ...o, events: Math.round(o.events / 10) }, "burst");
    for (const mode of ["burst", "paced"] as const) {
      const r = await writerRun(db, o, mode);
      writerRows.push([
        label,
        mode,
        num(o.events, 0),
        num(r.enqueued, 1),
        num(r.ms, 0),
        num(r.perSec, 0),
      ]);
    }
    const ids = await idPoolRun(db, o.idTakes);
    idRows.push([
      label,
      num(o.idTakes, 0),
      num(ids.sustained, 0),
      num(ids.hot, 0),
      num(ids.nsPerTake, 1),
    ]);
    await cleanup.runFrom(mark);
  }
  return {
    writer: [
      table(
        ["database", "enqueue", "events", "enqueue ms", "until stored ms", "events/s stored"],
        writerRows,
      ),
      "",
      `${num(o.events, 0)} events over ${o.runs} runs (3 of 4 text deltas, 1 of 4 progress), ` +
      "EventWriter defaults (flush 50 ms, maxBatch 500; a batch takes everything queued, " +
      "inserted 5,000 rows a statement). burst = one synchronous enqueue loop (the first batch " +
      "takes all); paced = yield to the event loop every 500 (batches of ~500). Stored rows " +
      "counted afterwards. Ids allocated beforehand, not timed.",
    ].join("\n"),
    ids: [
      table(
        ["database", "take() calls", "sustained ids/s", "hot-path take()/s", "ns per take()"],
        idRows,
      ),
      "",
      "Sustained: take() in a tight loop, awaiting ready() whenever the pool runs dry (one " +
      "nextval round trip per block of 512). Hot path: only the synchronous take() calls that " +
      "returned an id — the cost an emitting run sees while refills (started at 128 left) keep up.",
    ].join("\n"),
  };
}
