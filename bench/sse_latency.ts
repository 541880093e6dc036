/**
 * Section 1: emit → SSE receipt latency through the real path. A whole Glassbox (createGlassbox:
 * EventIdPool + EventWriter on a fresh Postgres database, EventHub, Journals) is served by
 * Deno.serve; fetch clients in a Worker subscribe to GET /api/v1/runs/:id/events; the bench emits
 * CUSTOM progress events on the run's journal at a fixed rate, each carrying its emit time.
 */
import { CUSTOM, custom, EventType } from "../agents/spine/events.ts";
import type { RunJournal } from "../agents/spine/journal.ts";
import { startGlassbox, type TestServer } from "../tests/support/server.ts";
import {
  type Cleanup,
  emptyPostgres,
  makeRuns,
  note,
  num,
  sleep,
  summarize,
  table,
  wallNow,
  withTimeout,
} from "./support.ts";

export interface LatencyScenario {
  clients: number;
  rate: number;
  seconds: number;
}

const WARM_UP_S = 0.5;

type FromWorker =
  | { type: "pong"; t: number; tw: number }
  | { type: "connected" }
  | { type: "done"; latencies: Float64Array; received: number[] }
  | { type: "error"; message: string };

/** Next message of the given type from the worker (an error message rejects). */
function nextMessage<T extends FromWorker["type"]>(
  worker: Worker,
  type: T,
): Promise<Extract<FromWorker, { type: T }>> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      if (e.data.type === type) resolve(e.data as Extract<FromWorker, { type: T }>);
      else if (e.data.type === "error") reject(new Error(`SSE client worker: ${e.data.message}`));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`SSE client worker crashed: ${e.message}`));
    };
  });
}

/**
 * Emits `warm` + `count` progress events at `rate`/s on one absolute schedule (so the first
 * measured event keeps its spacing from the last warm-up one); returns the real measured rate.
 */
async function emitAtRate(journal: RunJournal, rate: number, warm: number, count: number) {
  const interval = 1000 / rate;
  const start = performance.now();
  let first = start;
  for (let i = 0; i < warm + count; i++) {
    const wait = start + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    if (i === warm) first = performance.now();
    journal.emit(custom(CUSTOM.progress, {
      percent: Math.floor((100 * i) / (warm + count)),
      step: i + 1,
      totalSteps: warm + count,
      message: "Benchmarking the event path",
      t: wallNow(),
      warm: i < warm,
    }));
  }
  return ((count - 1) * 1000) / (performance.now() - first);
}

/** Offset of the worker's clock from ours (ms), from the ping with the shortest round trip. */
async function clockOffset(worker: Worker): Promise<{ offset: number; rtt: number }> {
  let best = { offset: 0, rtt: Infinity };
  for (let i = 0; i < 20; i++) {
    const pong = nextMessage(worker, "pong");
    worker.postMessage({ type: "ping", t: wallNow() });
    const { t, tw } = await pong;
    const rtt = wallNow() - t;
    if (rtt < best.rtt) best = { offset: tw - (t + rtt / 2), rtt };
  }
  return best;
}

async function scenario(server: TestServer, worker: Worker, s: LatencyScenario) {
  const { deps } = server.glassbox;
  const [runId] = await makeRuns(deps.db, 1);
  const journal = deps.journals.open(runId);
  journal.emit({ type: EventType.RUN_STARTED, threadId: runId, runId });
  const before = deps.hub.stats().subscribers;
  const connected = nextMessage(worker, "connected");
  worker.postMessage({
    type: "connect",
    url: `${server.url}/api/v1/runs/${runId}/events`,
    n: s.clients,
  });
  await withTimeout(connected, 20_000, `${s.clients} SSE clients connecting`);
  while (deps.hub.stats().subscribers < before + s.clients) await sleep(5);
  const done = nextMessage(worker, "done");

  const count = Math.round(s.rate * s.seconds);
  const rate = await emitAtRate(journal, s.rate, Math.round(s.rate * WARM_UP_S), count);
  journal.emit({ type: EventType.RUN_FINISHED, threadId: runId, runId });
  const result = await withTimeout(done, 30_000, "SSE clients finishing");
  await deps.journals.close(runId);
  const lost = count * s.clients - result.latencies.length;
  return { ...summarize(Array.from(result.latencies)), rate, lost, count };
}

export async function sseLatency(cleanup: Cleanup, scenarios: LatencyScenario[]): Promise<string> {
  const url = await emptyPostgres(cleanup);
  const server = await startGlassbox({ DATABASE_URL: url });
  cleanup.add("stop Glassbox (latency)", () => server.close());
  const worker = new Worker(new URL("./sse_client_worker.ts", import.meta.url).href, {
    type: "module",
  });
  cleanup.add("terminate SSE client worker", () => worker.terminate());
  const clock = await clockOffset(worker);

  const rows: string[][] = [];
  for (const s of scenarios) {
    note(`latency: ${s.clients} client(s) at ${s.rate} events/s for ${s.seconds} s`);
    const r = await scenario(server, worker, s);
    rows.push([
      String(s.clients),
      `${s.rate} (${num(r.rate, 0)} real)`,
      num(r.n, 0),
      num(r.p50),
      num(r.p99),
      num(r.max),
      String(r.lost),
    ]);
  }
  return [
    table(
      ["SSE clients", "events/s", "deliveries measured", "p50 ms", "p99 ms", "max ms", "lost"],
      rows,
    ),
    "",
    `Each row: ${WARM_UP_S} s warm-up (not counted), then the stated rate; latency = client ` +
    "receipt − emit time (performance.timeOrigin + now()) over every (client, event) pair. Path: " +
    "RunJournal.emit → EventHub (adaptive 1–10 ms write coalescing under load, as in app.ts) → Hono route " +
    "GET /api/v1/runs/:id/events → Deno.serve → fetch clients in a Worker (one thread). Journal " +
    `and EventWriter persist every event to Postgres meanwhile. Worker clock offset ` +
    `${num(clock.offset, 3)} ms (ping round trip ${num(clock.rtt, 3)} ms), not corrected.`,
  ].join("\n");
}
