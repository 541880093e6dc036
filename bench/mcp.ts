/**
 * Section 5: MCP tool servers and team reloads. How long an MCP server takes from spawn (or first
 * request) to its tools listed — the SDK-built fault server over stdio and over Streamable HTTP,
 * and the published filesystem server run from the project; a tool call's round trip through the
 * supervised connection; and a team file's reload, from the write to the new team in use (the
 * watcher's 100 ms debounce included), with and without a new MCP server to start.
 */
import { loadConfig } from "../config.ts";
import { LlmCallRecorder } from "../agents/llm/call_recorder.ts";
import { getLogger } from "../agents/logging/logging.ts";
import type { McpServerSpec } from "../agents/mcp/config.ts";
import { McpConnection } from "../agents/mcp/connection.ts";
import { McpServers } from "../agents/mcp/servers.ts";
import { TeamHolder } from "../agents/team/team_holder.ts";
import {
  denoScript,
  filesystemServer,
  httpSpec,
  startHttpFaults,
  stdioSpec,
} from "../tests/support/mcp/servers.ts";
import { type Cleanup, freshPostgres, note, num, summarize, table, tempDir } from "./support.ts";

const log = getLogger("bench");
const OPTS = { clientVersion: "bench", log };

async function timedStart(spec: McpServerSpec) {
  const conn = new McpConnection(spec, OPTS);
  const t0 = performance.now();
  await conn.ready();
  const ms = performance.now() - t0;
  if (conn.status().state !== "connected") throw new Error(conn.status().lastError ?? "down");
  return { conn, ms };
}

async function starts(n: number, make: () => Promise<{ conn: McpConnection; ms: number }>) {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const { conn, ms: t } = await make();
    ms.push(t);
    await conn.close();
  }
  return summarize(ms);
}

async function calls(conn: McpConnection, n: number) {
  const signal = new AbortController().signal;
  const ms: number[] = [];
  for (let i = 0; i < n + 10; i++) {
    const t0 = performance.now();
    await conn.call("echo", { text: "x" }, { signal, runId: "bench" });
    if (i >= 10) ms.push(performance.now() - t0); // after a warm-up
  }
  return summarize(ms);
}

export async function mcpBench(cleanup: Cleanup, o: { starts: number; calls: number }) {
  const rows: string[][] = [];
  const row = (what: string, s: ReturnType<typeof summarize>) =>
    rows.push([what, String(s.n), num(s.p50, 1), num(s.p99, 1), num(s.max, 1)]);

  note("MCP: stdio starts");
  row(
    "start, fault server (Deno script) over stdio",
    await starts(o.starts, () => timedStart(stdioSpec("bench", denoScript("stdio_faults.ts")))),
  );
  const docs = await tempDir(cleanup, "glassbox-bench-docs-");
  const fs = filesystemServer(await Deno.realPath(docs));
  row(
    "start, @modelcontextprotocol/server-filesystem (deno run, from the project)",
    await starts(o.starts, async () => {
      const spec = stdioSpec("fs", [fs.command, ...fs.args]);
      if (spec.transport.kind === "stdio") spec.transport.cwd = fs.cwd;
      return await timedStart(spec);
    }),
  );
  const http = await startHttpFaults();
  cleanup.add("http fault server", () => http.stop());
  row(
    "start, fault server over Streamable HTTP (session open)",
    await starts(o.starts, () => timedStart(httpSpec("web", http.url))),
  );

  note("MCP: calls");
  for (
    const [what, spec] of [
      ["call echo, stdio", stdioSpec("bench", denoScript("stdio_faults.ts"))],
      ["call echo, Streamable HTTP", httpSpec("web", http.url)],
    ] as const
  ) {
    const conn = new McpConnection(spec, OPTS);
    cleanup.add(what, () => conn.close());
    await conn.ready();
    row(what, await calls(conn, o.calls));
  }

  note("team reloads");
  const db = await freshPostgres(cleanup);
  const dir = await tempDir(cleanup, "glassbox-bench-team-");
  const file = `${dir}/team.yaml`;
  const [command, ...args] = denoScript("stdio_faults.ts");
  const team = (n: number, mcp: boolean) =>
    `agents:\n  a${n}: { description: d, instructions: i${mcp ? ", mcp: [s]" : ""} }\n` +
    (mcp
      ? `mcp_servers:\n  s: { command: ${JSON.stringify(command)}, args: ${
        JSON.stringify([...args, `--n=${n}`])
      } }\n`
      : "");
  await Deno.writeTextFile(file, team(0, false));
  const config = loadConfig({ GLASSBOX_AGENTS: file, DATABASE_URL: db.url });
  const mcp = new McpServers(OPTS);
  const holder = await TeamHolder.start(await TeamHolder.read(config), {
    config,
    providers: {
      recorder: new LlmCallRecorder(db.sql),
      contentLogging: config.contentLogging,
      idleTimeoutMs: 1000,
      maxAttempts: 1,
      demoFetch: fetch,
    },
    demoBaseUrl: "http://demo.invalid/v1",
    mcp,
    log,
  });
  cleanup.add("team holder", async () => {
    holder.close();
    await mcp.close();
  });
  for (const withMcp of [false, true]) {
    const ms: number[] = [];
    for (let i = 1; i <= o.starts; i++) {
      const before = holder.status().version;
      const t0 = performance.now();
      await Deno.writeTextFile(file, team(i, withMcp));
      while (holder.status().version === before) await new Promise((r) => setTimeout(r, 2));
      ms.push(performance.now() - t0);
    }
    row(
      withMcp
        ? "team reload with a new stdio MCP server (write → in use; 100 ms debounce)"
        : "team reload, agents only (write → in use; 100 ms debounce)",
      summarize(ms),
    );
  }
  return table(["what", "n", "p50 ms", "p99 ms", "max ms"], rows);
}
