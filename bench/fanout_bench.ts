/**
 * EventHub fan-out over real HTTP on loopback: `deno run -A bench/fanout_bench.ts` (~20-30 s).
 *
 * This process holds the hub behind Deno.serve on 127.0.0.1; the SSE clients run in a child
 * process (bench/fanout_client.ts): 10 fetch() connections parsed for latency, the rest raw TCP
 * reads that only count frames, so the client is as cheap as it can be. For N = 1, 100, 1000
 * subscribers: server RSS per idle connection, then a fixed publish rate, then flat out (bursts
 * per macrotask). Every event carries its publish time (performance.timeOrigin + now(); the
 * child's clock offset is measured by ping and subtracted). Deliveries/s = frames received by all
 * connections / (last frame - first publish). Server µs/delivery = server CPU time / frames: the
 * number least disturbed by other load on the machine.
 * Each N runs twice, interleaved: through the EventHub, and through bare streams (what plain
 * Deno.serve costs: one ReadableStream per subscriber with the default strategy, the same encoded
 * bytes enqueued to all, as the shared harness's deno-raw does), so "hub / bare" is what the hub
 * adds per delivery.
 * Knobs: NS=1,100,1000 RATE=100 (events/s) SECONDS=3 MAX_WAIT_MS=250 (EventHub maxWaitMs).
 */
import { EventHub } from "../agents/spine/event_hub.ts";
import { CUSTOM, custom, type RunEvent } from "../agents/spine/events.ts";
import { encodeJsonEvent } from "../agents/spine/sse.ts";
import { cpuMs, lines, now } from "./fanout_client.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const env = (name: string, dflt: string) => Deno.env.get(name) ?? dflt;
const NS = env("NS", "1,100,1000").split(",").map(Number);
const RATE = Number(env("RATE", "100"));
const MAX_WAIT_MS = Number(env("MAX_WAIT_MS", "250"));
const SECONDS = Number(env("SECONDS", "3"));

/** Who writes to the subscribers' streams. */
type Via = "hub" | "bare";

/** Subscribers and publishing for one scenario, through the hub or through bare streams. */
interface FanOut {
  body(): ReadableStream<Uint8Array>;
  publish(ev: RunEvent): void;
  subscribers(): number;
  cutOff(): number;
  close(): void;
}

function hubFanOut(): FanOut {
  // Flat out publishes faster than clients read: a large cap measures throughput; the cut-off
  // column counts subscribers that exceeded even that.
  const hub = new EventHub({
    maxWaitMs: MAX_WAIT_MS,
    keepAliveMs: 3_600_000,
    maxQueuedBytes: 256 << 20,
  });
  return {
    body: () => hub.subscribe({ topic: "bench", encoder: encodeJsonEvent }),
    publish: (ev) => hub.publish("bench", ev),
    subscribers: () => hub.stats().subscribers,
    cutOff: () => hub.stats().cutOff,
    close: () => hub.close(),
  };
}

function bareFanOut(): FanOut {
  const subs = new Set<ReadableStreamDefaultController<Uint8Array>>();
  return {
    body: () => {
      let ctrl!: ReadableStreamDefaultController<Uint8Array>;
      return new ReadableStream<Uint8Array>({
        start: (c) => void subs.add(ctrl = c),
        cancel: () => void subs.delete(ctrl),
      });
    },
    publish: (ev) => {
      const bytes = encodeJsonEvent(ev);
      for (const c of subs) c.enqueue(bytes);
    },
    subscribers: () => subs.size,
    cutOff: () => 0,
    close: () => {
      for (const c of subs) c.close();
      subs.clear();
    },
  };
}

interface Row {
  n: number;
  via: Via;
  mode: string;
  events: number;
  perSec: number;
  p50: number;
  p99: number;
  rssPerConn: number;
  cut: number;
  serverCpu: number;
  clientCpu: number;
  serverUs: number;
}

let nextId = 1;
const event = (): RunEvent => {
  const id = nextId++;
  const ev = custom(CUSTOM.log, { t: now() });
  return { id, runId: "bench", seq: id, createdAt: Date.now(), event: ev };
};

/** Starts the client process; returns request/reply helpers over its stdin/stdout. */
function spawnClient(url: string, n: number) {
  const script = new URL("./fanout_client.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, url, `${n}`],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const replies = lines(child.stdout);
  const send = (line: string) => stdin.write(new TextEncoder().encode(line + "\n"));
  const next = async (prefix: string) => {
    for (;;) {
      const { value, done } = await replies.next();
      if (done) throw new Error(`client exited while waiting for ${prefix}`);
      if (value.startsWith(prefix)) return value.slice(prefix.length).trim();
    }
  };
  const stop = async () => {
    await stdin.close().catch(() => {});
    child.kill();
    await child.status;
  };
  return { send, next, stop };
}

async function scenario(
  via: Via,
  n: number,
  rate: number,
  seconds: number,
  flatOut: number,
): Promise<Row[]> {
  const fanOut = via === "hub" ? hubFanOut() : bareFanOut();
  const headers = { "content-type": "text/event-stream", "cache-control": "no-cache" };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(fanOut.body(), { headers }),
  );
  await sleep(200);
  const rss0 = Deno.memoryUsage().rss;
  const client = spawnClient(`http://127.0.0.1:${server.addr.port}/`, n);
  const rows: Row[] = [];
  try {
    await client.next("connected");
    while (fanOut.subscribers() < n) await sleep(10);
    await sleep(500);
    const rssPerConn = n < 100 ? NaN : (Deno.memoryUsage().rss - rss0) / n;
    // Clock offset of the child, from the ping with the smallest round trip.
    let offset = 0, best = Infinity;
    for (let i = 0; i < 20; i++) {
      const t0 = now();
      await client.send("ping");
      const tc = Number(await client.next("pong")), t1 = now();
      if (t1 - t0 < best) [best, offset] = [t1 - t0, tc - (t0 + t1) / 2];
    }
    const phase = async (mode: string, events: number, publish: () => Promise<void>) => {
      await client.send(`expect ${events}`);
      await client.next("armed");
      const cut0 = fanOut.cutOff(), t0 = now(), cpu0 = cpuMs();
      await publish();
      const r = JSON.parse(await client.next("done"));
      const ms = r.lastAt - offset - t0;
      rows.push({
        n,
        via,
        mode,
        events,
        perSec: r.frames / (ms / 1000),
        p50: r.p50 - offset,
        p99: r.p99 - offset,
        rssPerConn,
        cut: fanOut.cutOff() - cut0,
        serverCpu: (cpuMs() - cpu0) / ms,
        serverUs: ((cpuMs() - cpu0) * 1000) / r.frames,
        clientCpu: r.cpu / ms,
      });
    };
    await phase(`${rate}/s`, rate * seconds, async () => {
      const start = now();
      for (let i = 0; i < rate * seconds; i++) {
        await sleep(start + (i * 1000) / rate - now());
        fanOut.publish(event());
      }
    });
    // Bursts sized so that one macrotask carries ~20k deliveries: a timer yield costs ~1 ms.
    const burst = Math.max(100, Math.ceil(20_000 / n));
    await phase("flat out", flatOut, async () => {
      for (let i = 0; i < flatOut; i += burst) {
        for (let j = i; j < Math.min(flatOut, i + burst); j++) fanOut.publish(event());
        await sleep(0);
      }
    });
  } finally {
    await client.stop();
    fanOut.close();
    await server.shutdown();
  }
  return rows;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const n of NS) {
    const flatOut = Math.min(100_000, Math.max(2_000, Math.floor(3_000_000 / n)));
    rows.push(...await scenario("hub", n, RATE, SECONDS, flatOut));
    // RSS does not shrink back between the two: the second one's growth per connection is noise.
    const bare = await scenario("bare", n, RATE, SECONDS, flatOut);
    rows.push(...bare.map((r) => ({ ...r, rssPerConn: NaN })));
  }
  const f = (x: number, d = 1) => Number.isFinite(x) ? x.toFixed(d) : "—";
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  console.log(
    `\nEventHub fan-out, Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
  );
  console.log(`maxWaitMs ${MAX_WAIT_MS}; clients in a child process; CPU = share of one core\n`);
  console.log(
    "| subscribers | via | publish | events | deliveries/s | p50 ms | p99 ms | RSS/conn KiB | cut off | server CPU | server µs/delivery | client CPU |",
  );
  console.log("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    const perSec = Math.round(r.perSec).toLocaleString("en");
    const cells = [r.n, r.via, r.mode, r.events, perSec, f(r.p50, 2), f(r.p99, 2)];
    cells.push(f(r.rssPerConn / 1024), r.cut, pct(r.serverCpu), f(r.serverUs, 2), pct(r.clientCpu));
    console.log(`| ${cells.join(" | ")} |`);
  }
  // Flat out the hub coalesces and bare streams cannot: only the fixed rate compares the two.
  console.log("\n| subscribers | server µs/delivery at the fixed rate: hub / bare streams |");
  console.log("|---:|---:|");
  for (const n of NS) {
    const at = (via: Via) => rows.find((r) => r.n === n && r.via === via && r.mode === `${RATE}/s`);
    const [hub, bare] = [at("hub"), at("bare")];
    if (hub && bare) console.log(`| ${n} | ${f(hub.serverUs / bare.serverUs, 2)} |`);
  }
}

if (import.meta.main) await main();
