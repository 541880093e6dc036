/**
 * The client side of bench/fanout_bench.ts, run by it as a CHILD PROCESS (so reading does not
 * share the server's event loop or count in its RSS): `deno run -A bench/fanout_client.ts URL N`.
 */
import process from "node:process";
import { sseReader } from "../tests/support/sse_client.ts";

export const now = () => performance.timeOrigin + performance.now();
export const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
/** Connections parsed for latency (fetch + sseReader); the others only count frames. */
const SAMPLED = 10;
/** A phase reports after this even if some connections never finished (cut off). */
const PHASE_TIMEOUT_MS = 15_000;

export async function* lines(readable: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buf = "";
  const dec = new TextDecoder();
  for await (const bytes of readable) {
    const parts = (buf += dec.decode(bytes, { stream: true })).split("\n");
    buf = parts.pop()!;
    yield* parts;
  }
}

/** Counts complete frames ("\n\n"; chunked framing never contains it), carrying across reads. */
function frameCounter() {
  let lastNl = false; // the previous read ended in a "\n" that was not the end of a frame
  return (buf: Uint8Array, len: number): number => {
    const b = buf.subarray(0, len);
    let k = 0, end = 0;
    if (lastNl && b[0] === 10) k = end = 1;
    for (let j = b.indexOf(10, end); j >= 0; j = b.indexOf(10, j + 1)) {
      if (b[j + 1] === 10) (k++, j++, end = j + 1);
    }
    lastNl = len > 0 && b[len - 1] === 10 && end !== len;
    return k;
  };
}

/**
 * stdin: `ping` | `expect <framesPerConnection>`; stdout: `connected`, `pong <now>`, `armed`,
 * `done <json>`. Sampled connections are fetch() + sseReader (latency); the rest are raw TCP
 * reads that only count frames, so the client costs as little CPU as possible.
 */
export async function client(url: string, n: number): Promise<void> {
  const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
  const counts = new Int32Array(n);
  let expect = Infinity, finished = 0, lastAt = 0, latencies: number[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined, cpu0 = cpuMs();
  const report = () => {
    clearTimeout(timer);
    const frames = counts.reduce((a, b) => a + b, 0);
    latencies.sort((a, b) => a - b);
    const q = (p: number) => latencies[Math.floor(p * (latencies.length - 1))];
    const cpu = cpuMs() - cpu0;
    out(`done ${JSON.stringify({ frames, finished, lastAt, p50: q(0.5), p99: q(0.99), cpu })}`);
    expect = Infinity;
  };
  const got = (i: number, k: number, t: number) => {
    const before = counts[i];
    counts[i] += k;
    if (before >= expect || counts[i] < expect) return;
    lastAt = t;
    if (++finished === n) report();
  };
  const sampled = async (i: number) => {
    const res = await fetch(url);
    return async () => {
      const parser = sseReader(), dec = new TextDecoder();
      for await (const chunk of res.body!) {
        const t = now(), msgs = parser.push(dec.decode(chunk, { stream: true }));
        for (const m of msgs) latencies.push(t - JSON.parse(m.data).value.t);
        got(i, msgs.length, t);
      }
    };
  };
  const rawTcp = async (i: number) => {
    const { hostname, port } = new URL(url);
    const conn = await Deno.connect({ hostname, port: Number(port) });
    await conn.write(new TextEncoder().encode(`GET / HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`));
    return async () => {
      const buf = new Uint8Array(64 << 10), count = frameCounter();
      for (let len; (len = await conn.read(buf)) !== null;) got(i, count(buf, len), now());
    };
  };
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, (_, j) => i + j);
    const pumps = await Promise.all(batch.map((k) => k < SAMPLED ? sampled(k) : rawTcp(k)));
    for (const pump of pumps) pump().catch(() => {});
  }
  out("connected");
  for await (const line of lines(Deno.stdin.readable)) {
    const [cmd, arg] = line.split(" ");
    if (cmd === "ping") out(`pong ${now()}`);
    if (cmd !== "expect") continue;
    counts.fill(0);
    latencies = [];
    finished = 0;
    expect = Number(arg);
    cpu0 = cpuMs();
    timer = setTimeout(report, PHASE_TIMEOUT_MS); // cut-off clients never finish: report anyway
    out("armed");
  }
}

if (import.meta.main) await client(Deno.args[0], Number(Deno.args[1]));
