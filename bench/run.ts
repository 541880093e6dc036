/**
 * Glassbox benchmarks for the README: `deno task bench` (loopback only, about a minute or two).
 * Prints Markdown to stdout (progress goes to stderr). Needs the local Postgres (GLASSBOX_TEST_PG
 * or postgres://postgres@127.0.0.1:5432/postgres); every database, directory, worker and process
 * it creates is removed or stopped at the end, on failure, and on Ctrl-C.
 *
 *   deno task bench            the full run
 *   deno task bench --quick    smaller counts, for checking the harness
 *   deno task bench --only=1,3 only these sections (1 latency, 2 persistence, 3 LLM, 4 start-up,
 *                              5 sign-in, 6 MCP and team reloads, 7 viewers joining a run,
 *                              9 the LLM gateway, 10 budget checks)
 */
import denoConfig from "../deno.json" with { type: "json" };
import { joinBench } from "./join.ts";
import { gatewayOverhead } from "./gateway.ts";
import { llmOverhead } from "./llm_wrapper.ts";
import { mcpBench } from "./mcp.ts";
import { persistence } from "./persist.ts";
import { signIn } from "./sign_in.ts";
import { sseLatency } from "./sse_latency.ts";
import { startup } from "./startup.ts";
import { Cleanup, note, postgresVersion, withTimeout } from "./support.ts";
import { usageBench } from "./usage.ts";
import { budgetBench } from "./budgets.ts";

const quick = Deno.args.includes("--quick");
const only = Deno.args.find((a) => a.startsWith("--only="))?.slice(7).split(",");
const TOTAL_LIMIT_MS = 300_000; // normal runs take 2–3 minutes on 2 busy cores

const cleanup = new Cleanup();
const interrupted = async (signal: string) => {
  note(`${signal}: cleaning up`);
  await cleanup.all();
  Deno.exit(130);
};
// A section that timed out may still have promises in flight when its resources are closed.
globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  note(`unhandled rejection (ignored): ${e.reason}`);
});
Deno.addSignalListener("SIGINT", () => interrupted("SIGINT"));
Deno.addSignalListener("SIGTERM", () => interrupted("SIGTERM"));
// A hard stop: whatever hangs, the run ends (cleaned up) within the limit.
const watchdog = setTimeout(async () => {
  note(`still running after ${TOTAL_LIMIT_MS / 1000} s: giving up`);
  await cleanup.all();
  Deno.exit(1);
}, TOTAL_LIMIT_MS);

/** The code measured: commit and uncommitted changes (the tree may move under a benchmark). */
async function gitState(): Promise<string> {
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: new URL("..", import.meta.url) })
      .output();
    return new TextDecoder().decode(out.stdout).trim();
  };
  try {
    const changed = (await git("status", "--porcelain", "--untracked-files=no")).split("\n")
      .filter(Boolean).length;
    return `git ${await git("rev-parse", "--short", "HEAD")}${
      changed ? ` + ${changed} uncommitted file change(s)` : ""
    }`;
  } catch {
    return "git state unknown";
  }
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

const print = (s = "") => console.log(s);
const loadavg = () => Deno.loadavg().map((l) => l.toFixed(2)).join(" / ");
const load1 = () => Deno.loadavg()[0].toFixed(2);

/** Runs one section with its own time limit; a failure is printed and the run goes on. */
async function section(title: string, limitMs: number, body: () => Promise<string>) {
  if (cleanup.closing || (only && !only.includes(title.split(".")[0]))) return;
  const mark = cleanup.mark;
  const t0 = performance.now();
  let text: string;
  try {
    text = await withTimeout(body(), limitMs, title);
  } catch (err) {
    text = `**Failed:** ${err instanceof Error ? err.message : err}`;
    Deno.exitCode = 1;
  } finally {
    await cleanup.runFrom(mark);
  }
  const took = ((performance.now() - t0) / 1000).toFixed(1);
  print(`### ${title}\n\n${text}\n\n_(section took ${took} s; 1-min load average ${load1()})_\n`);
}

const started = performance.now();
try {
  print("## Glassbox benchmarks\n");
  print(
    [
      `- Machine: ${navigator.hardwareConcurrency} cores (${cpuModel()}), ` +
      `${Deno.build.os} ${Deno.osRelease()}, ${
        (Deno.systemMemoryInfo().total / 2 ** 30).toFixed(0)
      } GiB RAM`,
      `- Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), Glassbox ${denoConfig.version} ` +
      `(${await gitState()})`,
      `- PostgreSQL ${await postgresVersion(cleanup)} on 127.0.0.1; PGlite ` +
      `${denoConfig.imports["@electric-sql/pglite"].split("@").pop()} (embedded, WASM)`,
      `- Load average at start ${loadavg()} (other work on the machine shares its cores)`,
      `- Loopback only; ${quick ? "QUICK mode (reduced counts)" : "full counts"}; ` +
      `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
      "",
    ].join("\n"),
  );

  const seconds = quick ? 1 : 3;
  await section("1. Emit → SSE client latency (loopback)", 90_000, () =>
    sseLatency(cleanup, [
      ...[1, 10, 100].map((clients) => ({ clients, rate: 200, seconds })),
      ...[1, 10, 100].map((clients) => ({ clients, rate: 20, seconds: quick ? 1 : 5 })),
    ]));

  let ids = "";
  await section("2. Events persisted per second (EventWriter)", 90_000, async () => {
    const r = await persistence(cleanup, {
      events: quick ? 5_000 : 50_000,
      runs: 20,
      idTakes: quick ? 20_000 : 200_000,
    });
    ids = r.ids;
    return r.writer;
  });
  if (ids) print(`### 2b. Event id pool (EventIdPool.take)\n\n${ids}\n`);

  await section(
    "3. LLM recording overhead (bare client, in-app recording, gateway)",
    120_000,
    () =>
      llmOverhead(cleanup, {
        calls: quick ? 40 : 200,
        warmUp: quick ? 5 : 20,
        reps: quick ? 1 : 3,
      }),
  );

  await section("4. Start-up time and memory (deno run main.ts)", 90_000, () => startup(cleanup));

  await section("5. Sign-in and the cost of being signed in", 60_000, () =>
    signIn(cleanup, {
      sequential: quick ? 5 : 30,
      concurrent: quick ? 5 : 16,
      requests: quick ? 20 : 200,
    }));

  await section(
    "6. MCP servers and team reloads",
    60_000,
    () => mcpBench(cleanup, { starts: quick ? 2 : 5, calls: quick ? 50 : 300 }),
  );

  await section(
    "7. Viewers joining a live run (history encoded once per encoding)",
    30_000,
    () => Promise.resolve(joinBench({ viewers: quick ? 200 : 1000, deltas: quick ? 50 : 400 })),
  );

  await section(
    "8. Usage dashboard (GET /usage)",
    120_000,
    () => usageBench(cleanup, { calls: quick ? 10_000 : 100_000, requests: quick ? 5 : 20 }),
  );

  await section(
    "9. LLM gateway overhead (recording on)",
    90_000,
    () => gatewayOverhead(cleanup, { calls: quick ? 40 : 200, warmUp: quick ? 5 : 20 }),
  );

  await section(
    "10. Budget checks (BudgetChecker, five budgets)",
    60_000,
    () => budgetBench(cleanup, { calls: quick ? 2_000 : 10_000, checks: quick ? 30 : 200 }),
  );
} finally {
  await cleanup.all();
  clearTimeout(watchdog);
}
print(
  `_Total: ${((performance.now() - started) / 1000).toFixed(1)} s; load average at end ` +
    `${loadavg()} (1 / 5 / 15 min)._`,
);
