/**
 * MCP servers named in a team file, used by agents in real runs (real HTTP, a scripted model, a
 * fresh Postgres): the published filesystem server over stdio; an SDK-built fault server over
 * stdio (isError, progress, logs, a crash, a hang, Stop, list_changed) and over Streamable HTTP
 * (headers from the environment, the caller's identity); a server that is down while the other
 * agents carry on; their state on /health and the agents page; no process left behind.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { parseDoc } from "./support/dom.ts";
import { postJson } from "./support/server.ts";
import { type Script, startScriptedLlm } from "./support/scripted_llm.ts";
import { customValues, startTeam, toolResults } from "./support/team.ts";
import { denoScript, filesystemServer, startHttpFaults } from "./support/mcp/servers.ts";
import { waitFor } from "./support/wait.ts";
import { CUSTOM, type LogValue, type ProgressValue } from "../agents/spine/events.ts";
import { truncate } from "../agents/spine/text.ts";
import { LOCAL_USER_ID } from "../db/users.ts";

const ignore = await skipWithoutPostgres();

const call = (id: string, name: string, args: unknown = {}): Script => ({
  kind: "tool_calls",
  calls: [{ id, name, argFragments: [JSON.stringify(args)] }],
});
const text = (t: string): Script => ({ kind: "text", chunks: [t] });
/** A loopback port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.addr.port;
}
/** The tool messages the model was sent in request `i`. */
const toolMessages = (llm: ReturnType<typeof startScriptedLlm>, i: number) =>
  (llm.requests[i].body.messages as { role: string; content: string }[])
    .filter((m) => m.role === "tool").map((m) => m.content);
const offered = (llm: ReturnType<typeof startScriptedLlm>, i: number) =>
  (llm.requests[i].body.tools as { function: { name: string } }[] | undefined ?? [])
    .map((t) => t.function.name);

Deno.test({
  name: "mcp team: the published filesystem server over stdio gives an agent its tools",
  ignore,
}, async () => {
  const docs = await Deno.realPath(await Deno.makeTempDir({ prefix: "glassbox-docs-" }));
  await Deno.writeTextFile(`${docs}/notes.txt`, "glassbox\n");
  const fs = filesystemServer(docs);
  await using llm = startScriptedLlm([
    call("r1", "read_text_file", { path: `${docs}/notes.txt` }),
    text("The note says glassbox."),
  ]);
  await using t = await startTeam(
    `
providers:
  llm: { base_url: "\${LLM_URL}" }
mcp_servers:
  files:
    command: ${JSON.stringify(fs.command)}
    args: ${JSON.stringify(fs.args)}
    cwd: ${JSON.stringify(fs.cwd)}
agents:
  reader:
    description: Reads notes
    instructions: Read the file they ask about.
    model: llm/m
    mcp: [{ server: files, tools: [read_text_file, list_directory] }]
    progress: { read_text_file: "Reading {path}" }
`,
    { LLM_URL: llm.url },
  );
  try {
    const run = await t.chat({ message: "What does notes.txt say?" });
    assert.equal(run.body.answer, "The note says glassbox.", JSON.stringify(run.body));
    // Only the named subset is offered, with the server's own schema.
    assert.deepEqual(offered(llm, 0), ["read_text_file", "list_directory"]);
    const schema = (llm.requests[0].body.tools as { function: { parameters: unknown } }[])[0]
      .function.parameters as { properties: Record<string, unknown> };
    assert.ok("path" in schema.properties);
    assert.deepEqual(toolMessages(llm, 1), ["glassbox\n"]);

    const events = await t.events(run.body.run_id as string);
    assert.equal(toolResults(events).r1, "glassbox\n");
    const start = events.find((e) => e.type === "TOOL_CALL_START")!;
    assert.equal((start as { metadata?: { server?: string } }).metadata?.server, "files");
    const progress = customValues<ProgressValue>(events, CUSTOM.progress).map((p) => p.message);
    assert.ok(
      progress.includes(`Reading ${truncate(`${docs}/notes.txt`, 40)}`),
      progress.join("\n"),
    );
    // The tree names the server beside the tool, on the page as in the stream.
    const page = parseDoc(
      await (await fetch(`${t.gb.url}/c/${run.body.conversation_id}`)).text(),
    );
    const tool = page.querySelector("#run-tree .node-tool");
    assert.equal(tool.querySelector(".node-server").textContent, "files");
    assert.equal(tool.querySelector(".node-title").textContent, "read_text_file");

    const health = await (await fetch(`${t.gb.url}/health`)).json();
    assert.equal(health.mcp_servers[0].state, "connected");
    assert.ok(health.mcp_servers[0].tools.includes("read_text_file"));
    assert.equal(health.status, "ok");
    const agents = parseDoc(await (await fetch(`${t.gb.url}/agents`)).text());
    assert.match(agents.querySelector("#mcp-files").textContent, /connected/);
    assert.match(agents.querySelector("#agent-reader .agent-tools").textContent, /read_text_file/);
    assert.doesNotMatch(
      agents.querySelector("#agent-reader .agent-tools").textContent,
      /write_file/,
    );
  } finally {
    await Deno.remove(docs, { recursive: true });
  }
});

Deno.test({
  name: "mcp team: isError, progress, logs, a crash, a hang, Stop and list_changed through runs",
  ignore,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "glassbox-faults-" });
  const cancelLog = `${dir}/cancelled.jsonl`;
  await using llm = startScriptedLlm([]);
  const [command, ...args] = denoScript("stdio_faults.ts");
  await using t = await startTeam(
    `
providers:
  llm: { base_url: "\${LLM_URL}" }
mcp_servers:
  faults:
    command: ${JSON.stringify(command)}
    args: ${JSON.stringify(args)}
    env: { FAULTS_LOG: ${JSON.stringify(cancelLog)} }
    timeout_ms: 1000
agents:
  worker:
    description: Uses the fault server
    instructions: Use your tools.
    model: llm/m
    mcp: [faults]
  plain:
    description: Has no MCP server
    instructions: Answer.
    model: llm/m
entry: [worker, plain]
`,
    { LLM_URL: llm.url },
  );
  const deps = t.gb.glassbox.deps;
  try {
    // isError and progress in one step, then logs alone (a log belongs to a run only when its
    // call is the server's only one in flight).
    llm.push(
      {
        kind: "tool_calls",
        calls: [
          { id: "f1", name: "fail", argFragments: ["{}"] },
          { id: "p1", name: "progress", argFragments: ['{"steps":3}'] },
        ],
      },
      call("l1", "logs"),
      text("done"),
    );
    let run = await t.chat({ message: "go" });
    assert.equal(run.body.answer, "done", JSON.stringify(run.body));
    let events = await t.events(run.body.run_id as string);
    assert.deepEqual(toolResults(events), {
      f1: "error: disk quota exceeded",
      p1: "did 3 steps",
      l1: "logged",
    });
    assert.ok(
      customValues<ProgressValue>(events, CUSTOM.progress)
        .some((p) => p.message === "faults · progress: step 1 (1/3)"),
      "MCP progress became the run's progress",
    );
    const logs = customValues<LogValue>(events, CUSTOM.log).map((l) => `${l.level} ${l.message}`);
    assert.ok(logs.includes("warning faults (faults): a warning line"), logs.join("\n"));
    assert.ok(logs.includes("info faults (faults): a info line"));

    // A crash mid-call: a clear tool error for the model; the server restarts; others go on.
    llm.push(call("c1", "crash"), text("it crashed"));
    run = await t.chat({ message: "crash it" });
    const crashed = toolResults(await t.events(run.body.run_id as string)).c1;
    assert.match(
      crashed,
      /^error: MCP server "faults" (closed the connection|stopped) during the call to crash/,
    );
    assert.match(crashed, /crashing on purpose/, "with what the server said on stderr");
    assert.deepEqual(toolMessages(llm, llm.requests.length - 1), [crashed]);
    llm.push(text("plain answer"));
    assert.equal((await t.chat({ message: "hi", agent: "plain" })).body.answer, "plain answer");
    const health = await (await fetch(`${t.gb.url}/health`)).json();
    assert.ok(
      health.mcp_servers[0].state === "restarting" || health.mcp_servers[0].restarts >= 1,
      JSON.stringify(health.mcp_servers),
    );
    await waitFor(
      () => deps.mcp.states()[0]?.state === "connected",
      "the restarted server",
    );
    assert.equal(deps.mcp.states()[0].restarts, 1);

    // A hang: the call's timeout, then the model hears it.
    llm.push(call("h1", "hang"), text("it hung"));
    run = await t.chat({ message: "hang" });
    assert.equal(
      toolResults(await t.events(run.body.run_id as string)).h1,
      'error: MCP server "faults" did not answer hang within 1000 ms',
    );

    // list_changed: the new tool is offered from the next run on.
    llm.push(call("a1", "add_tool"), text("added"));
    await t.chat({ message: "add" });
    await waitFor(() => deps.mcp.states()[0].tools.some((x) => x.name === "extra_1"), "extra_1");
    llm.push(text("seen"));
    await t.chat({ message: "list" });
    assert.ok(offered(llm, llm.requests.length - 1).includes("extra_1"));

    // Stop while a tool works: the server gets notifications/cancelled.
    llm.push(call("s1", "slow", { ms: 30_000 }));
    const res = await postJson(`${t.gb.url}/api/v1/chat/stream`, { message: "slow" });
    const runId = res.headers.get("x-run-id")!;
    await waitFor(
      () =>
        deps.journals.get(runId)?.events.some((e) =>
          e.event.type === "CUSTOM" && e.event.name === CUSTOM.progress &&
          (e.event.value as ProgressValue).message.includes("started")
        ),
      "the slow tool to start",
    );
    const cancel = await fetch(`${t.gb.url}/api/v1/runs/${runId}/cancel`, { method: "POST" });
    assert.equal((await cancel.json()).status, "cancelled");
    await res.text(); // the stream ends with the run
    // (The hang's timeout sent one too, with the SDK's reason.)
    await waitFor(async () => {
      const lines = (await Deno.readTextFile(cancelLog)).trim().split("\n");
      return lines.some((l) => JSON.parse(l).params.reason === "cancelled");
    }, "Stop's cancellation at the server");
    events = await t.events(runId);
    assert.ok(events.some((e) => e.type === "RUN_FINISHED"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "mcp team: Streamable HTTP with a header from the environment and the caller's identity; a server that is down",
  ignore,
}, async () => {
  const TOKEN = "tok-VERY-SECRET-77";
  const server = await startHttpFaults({ FAULTS_TOKEN: TOKEN });
  await using llm = startScriptedLlm([call("w1", "whoami"), text("you are you")]);
  await using t = await startTeam(
    `
providers:
  llm: { base_url: "\${LLM_URL}" }
mcp_servers:
  web:
    url: ${server.url}
    headers: { Authorization: "Bearer \${WEB_TOKEN}" }
    identity: true
  down:
    url: http://127.0.0.1:${closedPort()}/mcp
agents:
  worker:
    description: Uses web tools
    instructions: Use your tools.
    model: llm/m
    mcp: [{ server: web, tools: [whoami] }, down]
`,
    { LLM_URL: llm.url, WEB_TOKEN: TOKEN },
  );
  try {
    // Without sign-in configured, the caller is the local user.
    const run = await t.chat({ message: "who am I?" });
    assert.equal(run.body.answer, "you are you", JSON.stringify(run.body));
    const who = JSON.parse(toolResults(await t.events(run.body.run_id as string)).w1);
    assert.equal(who.authorization, `Bearer ${TOKEN}`);
    assert.equal(who.meta["glassbox/user_id"], LOCAL_USER_ID);
    assert.equal(who.meta["glassbox/run_id"], run.body.run_id);
    // The model was told which tools are missing and why.
    const system = (llm.requests[0].body.messages as { role: string; content: string }[])
      .filter((m) => m.role === "system").map((m) => m.content).join("\n");
    assert.match(system, /MCP server "down" is not connected: .*(fetch failed|refused)/is);
    assert.deepEqual(offered(llm, 0), ["whoami"]);

    const health = await (await fetch(`${t.gb.url}/health`)).json();
    assert.equal(health.status, "degraded");
    const down = health.mcp_servers.find((s: { name: string }) => s.name === "down");
    assert.equal(down.state, "restarting");
    assert.ok(down.last_error);
    const agentsHtml = await (await fetch(`${t.gb.url}/agents`)).text();
    assert.match(
      parseDoc(agentsHtml).querySelector("#mcp-down .mcp-error").textContent,
      /Last error/,
    );
    for (const text of [JSON.stringify(health), t.logs.join("\n"), agentsHtml]) {
      assert.ok(!text.includes(TOKEN), "the header's token is never shown");
    }
  } finally {
    await server.stop();
  }
});
