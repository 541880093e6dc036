/**
 * The supervised MCP connection against real servers written with the SDK (tests/support/mcp):
 * over stdio and Streamable HTTP — results, progress, logs, cancellation, timeouts, crashes,
 * hangs, servers that never start, list_changed, pagination — and no process left behind.
 */
import assert from "node:assert/strict";
import { getLogger } from "../logging/logging.ts";
import { McpConnection } from "./connection.ts";
import { McpServers } from "./servers.ts";
import { resultText } from "./results.ts";
import { mcpToolSource } from "./tool_source.ts";
import type { McpServerSpec } from "./config.ts";
import {
  childProcesses,
  denoScript,
  httpSpec,
  startHttpFaults,
  stdioSpec,
} from "../../tests/support/mcp/servers.ts";
import { waitFor } from "../../tests/support/wait.ts";
import type { ToolContext } from "../runtime/types.ts";

const OPTS = {
  clientVersion: "test",
  log: getLogger("mcp-test"),
  backoffMs: 50,
  stopGraceMs: 500,
};
const faults = (flags: string[] = [], opts: Parameters<typeof stdioSpec>[2] = {}) =>
  stdioSpec("faults", denoScript("stdio_faults.ts", flags), opts);
const noSignal = () => new AbortController().signal;

/** A connected connection, closed (and its process checked gone) after `fn`. */
async function withConnection(
  spec: McpServerSpec,
  fn: (conn: McpConnection) => void | Promise<void>,
  opts: Partial<typeof OPTS> & { connectTimeoutMs?: number; pingTimeoutMs?: number } = {},
) {
  const conn = new McpConnection(spec, { ...OPTS, ...opts });
  try {
    await conn.ready();
    await fn(conn);
  } finally {
    await conn.close();
    // The HTTP fault server is the test's own process, stopped by the test.
    const left = (await childProcesses()).filter((p) => !p.includes("http_faults.ts"));
    assert.deepEqual(left, [], "no MCP server process left");
  }
}

const call = (conn: McpConnection, tool: string, args = {}, signal = noSignal()) =>
  conn.call(tool, args, { signal, runId: "r1" });

/** Calls `slow`; resolves (with the pending call) once the server is in it. */
async function slowCall(conn: McpConnection, signal = noSignal()) {
  let started = false;
  const pending = conn.call("slow", { ms: 20_000 }, {
    signal,
    runId: "r1",
    onProgress: () => started = true,
  });
  pending.catch(() => {}); // awaited by the test
  await waitFor(() => started, "the slow call to reach the server");
  return { pending };
}

/** The reasons of the notifications/cancelled the fault server received. */
async function cancellations(conn: McpConnection): Promise<string[]> {
  const seen = JSON.parse(resultText(await call(conn, "cancellations")).text);
  return seen.map((m: { params: { reason: string } }) => m.params.reason);
}

Deno.test("mcp stdio: connects, lists tools, passes env but none of ours; every kind of result", async () => {
  Deno.env.set("GLASSBOX_TEST_PARENT_SECRET", "must-not-leak");
  try {
    await withConnection(faults([], { env: { FAULTS_GREETING: "hello" } }), async (conn) => {
      assert.equal(conn.status().state, "connected");
      assert.equal(conn.unavailable(), null);
      const names = conn.tools().map((t) => t.name);
      for (const n of ["echo", "slow", "fail", "weather", "add_tool"]) assert.ok(names.includes(n));
      assert.equal(resultText(await call(conn, "echo", { text: "hi" })).text, "hi");
      assert.deepEqual(resultText(await call(conn, "image")), {
        text: "a pixel\n[image image/png, 68 bytes]",
        isError: false,
      });
      assert.equal(
        resultText(await call(conn, "weather", { city: "Oslo" })).text,
        '{"city":"Oslo","celsius":21.5}',
      );
      assert.deepEqual(resultText(await call(conn, "fail")), {
        text: "disk quota exceeded",
        isError: true,
      });
      const thrown = resultText(await call(conn, "throws"));
      assert.equal(thrown.isError, true);
      assert.match(thrown.text, /handler blew up/);
    });
  } finally {
    Deno.env.delete("GLASSBOX_TEST_PARENT_SECRET");
  }
});

Deno.test("mcp stdio: the tool source gives agents tools; progress, logs and identity reach the run", async () => {
  const secretToken = "tok-VERY-SECRET-123";
  const spec = faults([], { env: { FAULTS_TOKEN: secretToken }, identity: true });
  await withConnection(spec, async (conn) => {
    const source = mcpToolSource(conn, ["progress", "logs", "whoami"]);
    const tools = source.tools();
    assert.deepEqual(tools.map((t) => t.name), ["progress", "logs", "whoami"]);
    assert.ok(tools.every((t) => t.server === "faults"));
    assert.equal(source.tools(), tools, "the same defs while the list is unchanged");
    const progress: string[] = [];
    const logs: string[] = [];
    const ctx: ToolContext = {
      runId: "run-1",
      conversationId: "conv-1",
      userId: "alice",
      agentName: "helper",
      signal: noSignal(),
      usage: () => Promise.reject(new Error("not here")),
      log: (level, message) => logs.push(`${level} ${message}`),
      progress: (m) => progress.push(m),
    };
    const byName = (n: string) => tools.find((t) => t.name === n)!;
    assert.equal(await byName("progress").run({ steps: 4 }, ctx), "did 4 steps");
    // The SDK may drop a note that arrives with the result (SDK #2580): at least the first.
    assert.ok(progress.length >= 1, "progress arrived");
    assert.equal(progress[0], "faults · progress: step 1 (1/4)");

    await byName("logs").run({ secret: secretToken }, ctx);
    // The client asked for "info" and up; a value of the server's own env is redacted.
    assert.deepEqual(logs, [
      "info faults (faults): a info line",
      "warning faults (faults): token [secret $FAULTS_TOKEN] rejected",
      "error faults (faults): a error line",
    ]);
    const who = JSON.parse(await byName("whoami").run({}, ctx));
    assert.equal(who.meta["glassbox/user_id"], "alice");
    assert.equal(who.meta["glassbox/run_id"], "run-1");
    assert.equal(who.meta["glassbox/agent"], "helper");
  });
});

Deno.test("mcp stdio: Stop sends notifications/cancelled; a hung tool times out, the server stays", async () => {
  await withConnection(faults([], { timeoutMs: 300 }), async (conn) => {
    const stop = new AbortController();
    const slow = await slowCall(conn, stop.signal);
    stop.abort("stopped by the user");
    await assert.rejects(slow.pending);
    assert.deepEqual(await cancellations(conn), ["stopped by the user"]);

    await assert.rejects(call(conn, "hang"), /did not answer hang within 300 ms/);
    assert.equal(conn.status().state, "connected", "a hung tool is not a hung server");
    assert.equal(resultText(await call(conn, "echo", { text: "still here" })).text, "still here");
  });
});

Deno.test("mcp stdio: a crash mid-call fails the call at once; the server restarts with backoff", async () => {
  await withConnection(faults(), async (conn) => {
    await assert.rejects(
      call(conn, "crash"),
      /MCP server "faults" (closed the connection|stopped) during the call to crash.*crashing on purpose/s,
    );
    await waitFor(() => conn.status().state === "restarting", "restarting");
    assert.match(conn.unavailable()!, /not connected: .*crashing on purpose/s);
    await assert.rejects(call(conn, "echo", { text: "x" }), /not connected/);
    await waitFor(() => conn.status().state === "connected", "reconnected");
    assert.equal(conn.status().restarts, 1);
    assert.equal(conn.status().lastError, null);
    assert.equal(resultText(await call(conn, "echo", { text: "back" })).text, "back");
  });
});

Deno.test("mcp stdio: a frozen server is found by ping after a timeout and restarted", async () => {
  await withConnection(faults([], { timeoutMs: 300 }), async (conn) => {
    await assert.rejects(call(conn, "freeze"), /did not answer freeze within 300 ms/);
    await waitFor(() => conn.status().restarts === 1, "a restart", 15_000);
    assert.match(conn.status().lastError ?? "", /stopped answering/);
  }, { pingTimeoutMs: 300 });
});

Deno.test("mcp stdio: servers that never start — exits, missing command, silent — say why and retry", async () => {
  await withConnection(faults(["--exit-at-start"]), async (conn) => {
    assert.equal(conn.status().state, "restarting");
    assert.match(conn.status().lastError!, /missing FAULTS_DB_URL, giving up/);
    await waitFor(() => conn.status().restarts >= 2, "two more attempts");
    assert.match(
      conn.unavailable()!,
      /^MCP server "faults" is not connected: .*(next attempt in \d+ s|connecting again now)/s,
    );
  });
  await withConnection(stdioSpec("ghost", ["/nonexistent/mcp-server"]), (conn) => {
    assert.match(conn.status().lastError!, /ENOENT/);
  });
  await withConnection(faults(["--silent"]), (conn) => {
    assert.match(conn.status().lastError!, /timed out/i);
  }, { connectTimeoutMs: 300 });
});

Deno.test("mcp stdio: a server that ignores EOF and SIGTERM is killed by close()", async () => {
  // withConnection asserts the process is gone once close() resolves.
  await withConnection(faults(["--stubborn"]), (conn) => {
    assert.equal(conn.status().state, "connected");
  });
});

Deno.test("mcp stdio: list_changed re-lists the tools; paged lists are followed to the end", async () => {
  await withConnection(faults(), async (conn) => {
    await call(conn, "add_tool");
    await waitFor(() => conn.tools().some((t) => t.name === "extra_1"), "extra_1 listed");
  });
  await withConnection(stdioSpec("paged", denoScript("paged.ts")), (conn) => {
    assert.deepEqual(conn.tools().map((t) => t.name), [
      "alpha",
      "beta",
      "gamma",
      "delta",
      "epsilon",
    ]);
  });
});

Deno.test("mcp http: headers reach the server, errors are redacted, cancel, a killed server", async () => {
  const server = await startHttpFaults({ FAULTS_TOKEN: "t0ken-SECRET" });
  try {
    // A wrong token: the server's 401 body echoes it, the error does not.
    await withConnection(
      httpSpec("web", server.url, { headers: { Authorization: "Bearer wrong-SECRET" } }),
      (conn) => {
        assert.match(conn.status().lastError!, /401/);
        assert.ok(!conn.status().lastError!.includes("wrong-SECRET"), conn.status().lastError!);
      },
    );
    const spec = httpSpec("web", server.url, {
      headers: { Authorization: "Bearer t0ken-SECRET" },
      identity: true,
    });
    await withConnection(spec, async (conn) => {
      const source = mcpToolSource(conn, null);
      const who = JSON.parse(resultText(await call(conn, "whoami")).text);
      assert.equal(who.authorization, "Bearer t0ken-SECRET");
      assert.ok(source.tools().some((t) => t.name === "whoami"));

      const stop = new AbortController();
      const slow = await slowCall(conn, stop.signal);
      stop.abort("stopped by the user");
      await assert.rejects(slow.pending);
      // Over HTTP the notification is its own POST: it may land after the call rejected.
      await waitFor(
        async () => (await cancellations(conn)).includes("stopped by the user"),
        "the cancellation at the server",
      );

      // Killed mid-call: the SDK would wait for the timeout; the supervisor notices at once.
      const { pending } = await slowCall(conn);
      const t0 = performance.now();
      await server.kill();
      await assert.rejects(pending, /MCP server "web" stopped during the call to slow/);
      assert.ok(performance.now() - t0 < 8_000, "not at its 10 s timeout");
      await waitFor(() => conn.status().state === "restarting", "restarting");
    });
  } finally {
    await server.stop();
  }
  assert.deepEqual(await childProcesses(), []);
});

Deno.test("mcp servers: equal configurations share a connection; the last release stops it", async () => {
  const servers = new McpServers(OPTS);
  const spec = faults();
  const a = servers.acquire(spec);
  const b = servers.acquire({ ...spec });
  assert.equal(a, b);
  await a.ready();
  servers.release(a);
  assert.equal(servers.states()[0].state, "connected", "still held once");
  servers.release(b);
  assert.deepEqual(servers.states(), []);
  await servers.close();
  assert.deepEqual(await childProcesses(), []);
});
