/**
 * Section 4: start-up time and memory of the real server process. Spawns `deno run -A main.ts`
 * (with the start task's --v8-flags, build/v8_flags.ts)
 * (PORT=0), reads the port from the banner on stderr, polls GET /health until the first 200,
 * reads VmRSS from /proc, sends 20 demo-model chats, reads VmRSS again, then stops it (SIGTERM).
 */
import {
  type Cleanup,
  emptyPostgres,
  note,
  num,
  sleep,
  table,
  tempDir,
  withTimeout,
} from "./support.ts";
import { START_V8_FLAGS } from "../build/v8_flags.ts";

const ROOT = new URL("..", import.meta.url);
const CHATS = 20;

interface StartResult {
  bannerMs: number;
  healthMs: number;
  rssStart: number;
  rssAfter: number;
  chatMsMean: number;
  /** LLM calls of one chat, as the API reported it. */
  llmCalls: number;
}

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  return kb / 1024;
}

/** Reads stderr to the end; resolves `port` at the banner. Keeps the text for error reports. */
function watchStderr(stderr: ReadableStream<Uint8Array>) {
  let text = "";
  let found!: (port: number) => void;
  const port = new Promise<number>((r) => found = r);
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const bytes of stderr) {
      text += decoder.decode(bytes, { stream: true });
      const m = /localhost:(\d+)/.exec(text);
      if (m) found(Number(m[1]));
    }
  })();
  return { port, done, text: () => text };
}

async function startOnce(
  cleanup: Cleanup,
  env: Record<string, string>,
): Promise<StartResult> {
  const base: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) base[k] = v;
  }
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `--v8-flags=${START_V8_FLAGS}`, "main.ts"],
    cwd: ROOT,
    clearEnv: true,
    env: {
      ...base,
      NO_COLOR: "1",
      PORT: "0",
      HOST: "127.0.0.1",
      GLASSBOX_DEMO_DELAY_MS: "0",
      ...env,
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  const stop = async () => {
    if (exited) return;
    child.kill("SIGTERM");
    // A graceful stop (runs interrupted, events stored) gets 10 s, then SIGKILL.
    await withTimeout(status, 10_000, "graceful stop").catch(() => {
      child.kill("SIGKILL");
      return status;
    });
  };
  const mark = cleanup.mark;
  cleanup.add(`stop server pid ${child.pid}`, stop);
  const err = watchStderr(child.stderr);
  try {
    const port = await withTimeout(
      Promise.race([err.port, status.then((s) => Promise.reject(new Error(`exited ${s.code}`)))]),
      60_000,
      "server banner",
    );
    const bannerMs = performance.now() - t0;
    const origin = `http://127.0.0.1:${port}`;
    let healthMs = 0;
    for (const deadline = performance.now() + 30_000; performance.now() < deadline;) {
      const res = await fetch(`${origin}/health`).catch(() => null);
      await res?.body?.cancel();
      if (res?.status === 200) {
        healthMs = performance.now() - t0;
        break;
      }
      await sleep(5);
    }
    if (!healthMs) throw new Error("GET /health never answered 200 within 30 s");
    const rssStart = rssMiB(child.pid);
    const c0 = performance.now();
    let llmCalls = 0;
    for (let i = 0; i < CHATS; i++) {
      const res = await fetch(`${origin}/api/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "What is 17 * 23?" }),
      });
      const body = await res.json();
      if (res.status !== 200 || body.status !== "succeeded") {
        throw new Error(`chat ${i}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      }
      llmCalls = body.usage.llm_calls;
    }
    const chatMsMean = (performance.now() - c0) / CHATS;
    const rssAfter = rssMiB(child.pid);
    return { bannerMs, healthMs, rssStart, rssAfter, chatMsMean, llmCalls };
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : e}\nserver stderr:\n${err.text()}`);
  } finally {
    await cleanup.runFrom(mark);
    await err.done.catch(() => {});
  }
}

export async function startup(cleanup: Cleanup): Promise<string> {
  const dataDir = await tempDir(cleanup, "gbbench-data-");
  const cases: [string, () => Promise<Record<string, string>>][] = [
    ["embedded PGlite, first start (initdb)", () => Promise.resolve({ GLASSBOX_DATA: dataDir })],
    ["embedded PGlite, warm start (same dir)", () => Promise.resolve({ GLASSBOX_DATA: dataDir })],
    ["external Postgres, fresh database", async () => ({
      DATABASE_URL: await emptyPostgres(cleanup),
      GLASSBOX_DATA: dataDir,
    })],
  ];
  const rows: string[][] = [];
  let llmCalls = 0;
  for (const [label, env] of cases) {
    note(`start-up: ${label}`);
    const r = await startOnce(cleanup, await env());
    llmCalls = r.llmCalls;
    rows.push([
      label,
      num(r.bannerMs, 0),
      num(r.healthMs, 0),
      num(r.rssStart, 0),
      num(r.rssAfter, 0),
      num(r.chatMsMean, 1),
    ]);
  }
  return [
    table(
      [
        "server",
        "spawn → banner ms",
        "spawn → first /health 200 ms",
        "RSS at start MiB",
        `RSS after ${CHATS} chats MiB`,
        "ms per chat",
      ],
      rows,
    ),
    "",
    "`deno run -A main.ts` with PORT=0, HOST=127.0.0.1, GLASSBOX_DEMO_DELAY_MS=0 and the built-in " +
    "demo model (no OPENAI_* set); Deno's module cache is warm (no type checking at run). RSS = " +
    `VmRSS of the deno process. Chats: ${CHATS} sequential POST /api/v1/chat ` +
    `{"message":"What is 17 * 23?"}, each a whole agent run of ${llmCalls} demo-model LLM calls ` +
    "(every event and LLM call stored). The first Postgres start runs the migrations on an " +
    "empty database.",
  ].join("\n");
}
