/**
 * Your own team from a file, over real HTTP with a fresh Postgres: two providers (two scripted
 * OpenAI-compatible servers), each call recorded with its provider, model and price; entry
 * agents; the key never shown; the agent picker and the agents page; start-up validation of the
 * real process (exit 2, positions); reload on change and SIGHUP while a run is running; an
 * invalid edit that keeps the last good team and says why.
 */
import assert from "node:assert/strict";
import { parseDoc } from "./support/dom.ts";
import { skipWithoutPostgres } from "./support/db.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { customValues, startTeam, toolResults } from "./support/team.ts";
import { childProcesses, denoScript } from "./support/mcp/servers.ts";
import { waitFor } from "./support/wait.ts";
import { CUSTOM, type ProgressValue } from "../agents/spine/events.ts";

const ignore = await skipWithoutPostgres();

/** A JSON log line whose message starts so, with these properties. */
function logged(logs: string[], message: string, properties: Record<string, unknown>): boolean {
  return logs.map((l) => JSON.parse(l)).some((r) =>
    r.message.startsWith(message) &&
    Object.entries(properties).every(([k, v]) => r.properties?.[k] === v)
  );
}
const ROOT = new URL("..", import.meta.url).pathname;
const KEY = "sk-test-TOPSECRET-4242";

const TWO_PROVIDERS = `
providers:
  hosted:
    base_url: \${HOSTED_URL}
    api_key: \${HOSTED_KEY}
    prices:
      big-model: { input: 2, output: 8, cached_input: 0.5, reasoning: 10 }
  local:
    base_url: \${LOCAL_URL}
    prices:
      small-model: { input: 0.1, output: 0.2 }
agents:
  boss:
    title: Boss
    description: Answers, delegating arithmetic.
    instructions: Delegate arithmetic to ask_helper.
    model: hosted/big-model
    sub_agents: [helper]
  helper:
    title: Helper
    description: Does arithmetic.
    instructions: Use the calculator.
    model: local/small-model
    tools: [calculator]
    progress: { calculator: "Working out {expression}" }
  solo:
    title: Solo
    description: Answers alone, briefly.
    instructions: Be brief.
    model: local/small-model
entry: [boss, solo]
`;

Deno.test({
  name:
    "team: two providers — each call recorded with its provider, model and price; the key never shown",
  ignore,
}, async () => {
  await using hosted = startScriptedLlm([
    {
      kind: "tool_calls",
      calls: [{ id: "c1", name: "ask_helper", argFragments: ['{"task":"6*7"}'] }],
      usage: { prompt_tokens: 1000, completion_tokens: 100, cached: 200, reasoning: 50 },
    },
    {
      kind: "text",
      chunks: ["It is ", "42."],
      usage: { prompt_tokens: 300, completion_tokens: 5 },
    },
  ]);
  await using local = startScriptedLlm([
    {
      kind: "tool_calls",
      calls: [{ id: "c2", name: "calculator", argFragments: ['{"expression":"6*7"}'] }],
      usage: { prompt_tokens: 80, completion_tokens: 9 },
    },
    { kind: "text", chunks: ["42"], usage: { prompt_tokens: 90, completion_tokens: 1 } },
    { kind: "text", chunks: ["Hi."], usage: { prompt_tokens: 10, completion_tokens: 2 } },
  ]);
  await using t = await startTeam(TWO_PROVIDERS, {
    HOSTED_URL: hosted.url,
    HOSTED_KEY: KEY,
    LOCAL_URL: local.url,
  });
  const run = await t.chat({ message: "What is 6*7?" });
  assert.equal(run.status, 200, JSON.stringify(run.body));
  assert.equal(run.body.answer, "It is 42.");
  assert.equal(run.body.agent, "boss");
  assert.equal(run.body.provider, "hosted");
  assert.equal(run.body.model, "big-model");
  // The key is resolved from the environment and sent; the keyless provider gets none.
  assert.equal(hosted.requests[0].headers.get("authorization"), `Bearer ${KEY}`);
  assert.equal(local.requests[0].headers.get("authorization"), "Bearer none");

  const rows = await t.sql`
      SELECT agent_name, provider, request_model, cost_usd::text AS cost FROM llm_calls
      WHERE run_id = ${run.body.run_id as string} ORDER BY started_at`;
  // numeric(14, 8) as stored
  const usd = (n: number) => (n / 1e6).toFixed(8);
  const hostedFirst = usd(800 * 2 + 200 * 0.5 + 50 * 8 + 50 * 10);
  assert.deepEqual(rows.map((r) => ({ ...r })), [
    { agent_name: "boss", provider: "hosted", request_model: "big-model", cost: hostedFirst },
    {
      agent_name: "helper",
      provider: "local",
      request_model: "small-model",
      cost: usd(80 * 0.1 + 9 * 0.2),
    },
    {
      agent_name: "helper",
      provider: "local",
      request_model: "small-model",
      cost: usd(90 * 0.1 + 1 * 0.2),
    },
    {
      agent_name: "boss",
      provider: "hosted",
      request_model: "big-model",
      cost: usd(300 * 2 + 5 * 8),
    },
  ]);
  const events = await t.events(run.body.run_id as string);
  assert.ok(
    customValues<ProgressValue>(events, CUSTOM.progress).some((p) =>
      p.message === "Working out 6*7"
    ),
    "the team file's progress message, with the argument filled in",
  );
  assert.equal(toolResults(events).c2, "6*7 = 42");
  const finished = events.find((e) => e.type === "RUN_FINISHED") as { usage?: unknown };
  assert.deepEqual(finished.usage, [
    {
      model: "big-model",
      provider: "hosted",
      inputTokens: 1300,
      outputTokens: 105,
      totalTokens: 1405,
    },
    {
      model: "small-model",
      provider: "local",
      inputTokens: 170,
      outputTokens: 10,
      totalTokens: 180,
    },
  ]);
  const agents = await (await fetch(`${t.gb.url}/api/v1/agents`)).json();
  const [row] = await t.sql`SELECT team_version FROM runs WHERE id = ${run.body
    .run_id as string}`;
  assert.equal(row.team_version, agents.team.version);
  assert.match(agents.team.version, /^[0-9a-f]{12}$/);
  assert.deepEqual(agents.team.entry, ["boss", "solo"]);
  assert.deepEqual(
    agents.providers.map((p: { name: string; api_key_from: string | null }) => [
      p.name,
      p.api_key_from,
    ]),
    [["hosted", "$HOSTED_KEY"], ["local", null]],
  );

  // Another entry agent, by name; one that is not an entry is refused, naming those that are.
  const solo = await t.chat({ message: "Hello", agent: "solo" });
  assert.equal(solo.body.answer, "Hi.");
  assert.equal(local.requests.at(-1)!.body.model, "small-model");
  const refused = await t.chat({ message: "Hello", agent: "helper" });
  assert.equal(refused.status, 400);
  assert.match(
    (refused.body.error as { message: string }).message,
    /unknown agent "helper"; agents: boss, solo/,
  );
  // Only the team file names MCP servers: a request cannot bring one.
  const smuggled = await t.chat({
    message: "Hello",
    mcp_servers: { evil: { command: "/bin/sh", args: ["-c", "id"] } },
  });
  assert.equal(smuggled.status, 400);
  assert.match((smuggled.body.error as { message: string }).message, /mcp_servers/);

  // The key appears nowhere: health, the API, the pages, the logs.
  const pages = await Promise.all(
    ["/health", "/api/v1/agents", "/agents", "/", `/calls`].map((p) =>
      fetch(`${t.gb.url}${p}`).then((r) => r.text())
    ),
  );
  for (const text of [...pages, t.logs.join("\n")]) assert.ok(!text.includes(KEY));
  assert.ok(t.logs.length > 10, "logs were captured");
});

Deno.test({
  name:
    "team: an endpoint that echoes the key in its error gets it redacted in the record and the run's error",
  ignore,
}, async () => {
  await using hosted = startScriptedLlm([{
    kind: "status",
    status: 401,
    body: { error: { message: `Incorrect API key provided: ${KEY}` } },
  }]);
  await using t = await startTeam(TWO_PROVIDERS, {
    HOSTED_URL: hosted.url,
    HOSTED_KEY: KEY,
    LOCAL_URL: hosted.url,
  });
  const run = await t.chat({ message: "What is 6*7?" });
  assert.equal(run.body.status, "failed");
  const error = JSON.stringify(run.body.error);
  assert.ok(!error.includes(KEY), error);
  assert.match(error, /\[secret \$HOSTED_KEY\]/);
  const [row] = await t.sql`SELECT error_message FROM llm_calls WHERE run_id = ${run.body
    .run_id as string}`;
  assert.ok(!row.error_message.includes(KEY), row.error_message);
});

Deno.test({
  name: "team: the agent picker (entry agents, kept per conversation) and the agents page",
  ignore,
}, async () => {
  const demo = TWO_PROVIDERS
    .replace(/^providers:[\s\S]*?^agents:/m, "agents:")
    .replaceAll(/model: \S+/g, "model: glassbox-demo/glassbox-demo");
  await using t = await startTeam(demo);
  const home = parseDoc(await (await fetch(`${t.gb.url}/`)).text());
  const select = home.querySelector("form#chat-form select#agent-select[name=agent]");
  assert.ok(select, "a select in the composer");
  assert.equal(home.querySelector("label[for=agent-select]").textContent, "Agent");
  const options = [...select.querySelectorAll("option")];
  assert.deepEqual(options.map((o) => [o.getAttribute("value"), o.textContent]), [
    ["boss", "Boss"],
    ["solo", "Solo"],
  ]);
  assert.ok(options[0].hasAttribute("selected"), "the default entry first");
  // Before a run, the agents panel shows the picked agent's team.
  assert.deepEqual(
    [...home.querySelectorAll("#agent-status .agent-name")].map((e) => e.textContent),
    ["boss", "helper"],
  );

  // The form sends the picked agent; the conversation remembers it.
  const res = await fetch(`${t.gb.url}/chat`, {
    method: "POST",
    body: new URLSearchParams({ message: "What is 2+2?", agent: "solo" }),
  });
  const conversation = res.headers.get("hx-replace-url")!;
  await res.text(); // the stream ends after the run's terminal event
  await waitFor(() => t.gb.glassbox.deps.runs.activeRuns === 0, "the run to be recorded");
  const [run] = await t.sql`SELECT agent FROM runs`;
  assert.equal(run.agent, "solo");
  const page = parseDoc(await (await fetch(`${t.gb.url}${conversation}`)).text());
  assert.ok(page.querySelector("#agent-select option[value=solo]").hasAttribute("selected"));
  assert.ok(!page.querySelector("#agent-select option[value=boss]").hasAttribute("selected"));

  const agents = parseDoc(await (await fetch(`${t.gb.url}/agents`)).text());
  assert.equal(
    agents.querySelector("nav.topnav a[aria-current=page]").getAttribute("href"),
    "/agents",
  );
  const cards = [...agents.querySelectorAll(".agent-card")];
  assert.deepEqual(cards.map((c) => c.id), ["agent-boss", "agent-helper", "agent-solo"]);
  const helper = agents.querySelector("#agent-helper");
  assert.equal(helper.querySelector(".agent-model").textContent, "glassbox-demo/glassbox-demo");
  assert.match(helper.querySelector(".agent-tools").textContent, /calculator/);
  assert.equal(agents.querySelectorAll("#agent-boss .badge-entry").length, 1);
  assert.equal(agents.querySelectorAll("#agent-helper .badge-entry").length, 0);
  assert.match(agents.querySelector("#agent-boss").textContent, /helper/, "its sub-agent");
});

Deno.test({
  name:
    "team: a bad team file stops the real process with exit 2 and every problem at file:line:col",
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "glassbox-badteam-" });
  const file = `${dir}/team.yaml`;
  await Deno.writeTextFile(
    file,
    `providers:
  hosted:
    base_url: http://127.0.0.1:1/v1
    api_key: ${KEY}
agents:
  a:
    description: d
    instructions: i
    model: hosted/m
    tools: [clok]
    sub_agents: [a]
    colour: red
`,
  );
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}main.ts`],
      cwd: ROOT,
      env: { NO_COLOR: "1", GLASSBOX_AGENTS: file, PORT: "0", DATABASE_URL: "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    for (
      const line of [
        `${file}:4:14: providers.hosted.api_key: must be a reference to an environment variable`,
        `${file}:10:13: agents.a.tools[0]: Invalid enum value.`,
        `${file}:11:18: agents.a.sub_agents[0]: sub-agent cycle: a -> a`,
        `${file}:12:5: agents.a.colour: unknown key`,
      ]
    ) assert.ok(stderr.includes(line), `${line}\n---\n${stderr}`);
    assert.ok(!stderr.includes(KEY), stderr);
    // A missing file is reported the same way.
    const missing = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}main.ts`],
      cwd: ROOT,
      env: { NO_COLOR: "1", GLASSBOX_AGENTS: `${dir}/nope.yaml`, PORT: "0" },
      stderr: "piped",
      stdout: "null",
    }).output();
    assert.equal(missing.code, 2);
    assert.match(new TextDecoder().decode(missing.stderr), /nope\.yaml:1:1: cannot be read/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const reloadTeam = (model: string, extra = "") => `
providers:
  one:
    base_url: \${ONE_URL}
  two:
    base_url: \${TWO_URL}
mcp_servers:
  faults:
    command: ${JSON.stringify(denoScript("stdio_faults.ts")[0])}
    args: ${JSON.stringify(denoScript("stdio_faults.ts").slice(1))}
agents:
  worker:
    description: Works
    instructions: Work.
    model: ${model}
    mcp: [{ server: faults, tools: [echo] }]
${extra}`;

Deno.test({
  name:
    "team: reload on change while a run runs — it finishes with its team; new runs get the new one",
  ignore,
}, async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  await using one = startScriptedLlm([
    {
      kind: "tool_calls",
      calls: [{ id: "e1", name: "echo", argFragments: ['{"text":"still here"}'] }],
      hold: gate,
    },
    { kind: "text", chunks: ["old team done"] },
  ]);
  await using two = startScriptedLlm([{ kind: "text", chunks: ["new team"] }]);
  await using t = await startTeam(reloadTeam("one/m1"), { ONE_URL: one.url, TWO_URL: two.url });
  const deps = t.gb.glassbox.deps;
  try {
    const v1 = deps.teams.status().version;
    const first = t.chat({ message: "long job" });
    await waitFor(() => one.requests.length === 1, "the first run's first call");

    // v2: the worker on provider two, no MCP server, and a second entry agent.
    await Deno.writeTextFile(
      t.path,
      reloadTeam("two/m2").replace(/mcp_servers:[\s\S]*?agents:/, "agents:")
        .replace("    mcp: [{ server: faults, tools: [echo] }]\n", "") +
        "  other:\n    description: O\n    instructions: O.\n    model: two/m2\n" +
        "entry: [worker, other]\n",
    );
    await waitFor(() => deps.teams.status().version !== v1, "the reload");
    assert.ok(logged(t.logs, "Team reloaded", { reason: "the file changed" }));
    const second = await t.chat({ message: "quick", agent: "worker" });
    assert.equal(second.body.answer, "new team");
    assert.equal(second.body.provider, "two");
    assert.equal(second.body.team_version, deps.teams.status().version);
    // The old team's MCP server is still held by the running run.
    assert.equal(deps.mcp.states().length, 1);

    release();
    const done = await first;
    assert.equal(done.body.answer, "old team done");
    assert.equal(done.body.team_version, v1);
    assert.equal(one.requests.length, 2, "its second call went to its own team's provider");
    assert.equal(toolResults(await t.events(done.body.run_id as string)).e1, "still here");
    await waitFor(() => deps.mcp.states().length === 0, "the old team's MCP server to stop");
    const rows = await t
      .sql`SELECT provider, count(*)::int AS n FROM llm_calls GROUP BY 1 ORDER BY 1`;
    assert.deepEqual(rows.map((r) => [r.provider, r.n]), [["one", 2], ["two", 1]]);
  } finally {
    release();
  }
});

Deno.test({
  name:
    "team: an invalid edit keeps the last good team and says why — log, /health, banner; SIGHUP reloads",
  ignore,
}, async () => {
  await using llm = startScriptedLlm([{ kind: "text", chunks: ["still fine"] }]);
  const good = reloadTeam("one/m1");
  await using t = await startTeam(good, { ONE_URL: llm.url, TWO_URL: llm.url });
  const deps = t.gb.glassbox.deps;
  const version = deps.teams.status().version;
  const [server] = deps.mcp.states();
  assert.equal(server.state, "connected");
  await Deno.writeTextFile(
    t.path,
    good.replace("model: one/m1", "model: nowhere/m1\n    temp: 3"),
  );
  const error = await waitFor(() => deps.teams.status().error, "the refused reload");
  assert.deepEqual(error.problems.map((p) => [p.line, p.col, p.path]), [
    [15, 12, "agents.worker.model"],
    [16, 5, "agents.worker.temp"],
  ]);
  assert.equal(deps.teams.status().version, version, "the last good team stays");
  assert.ok(logged(t.logs, "Team file not reloaded, still running version", { version }));

  const health = await (await fetch(`${t.gb.url}/health`)).json();
  assert.equal(health.status, "degraded");
  assert.equal(health.team.version, version);
  assert.equal(health.team.error.problems.length, 2);
  assert.match(
    health.team.error.message,
    /team\.yaml:15:12: agents\.worker\.model: unknown provider "nowhere"/,
  );
  for (const path of ["/", "/agents", "/calls"]) {
    const banner = parseDoc(await (await fetch(`${t.gb.url}${path}`)).text())
      .querySelector("#team-banner[role=alert]");
    assert.ok(banner, `banner on ${path}`);
    assert.match(banner.textContent, /The team file has errors/);
    assert.match(banner.textContent, /unknown provider "nowhere"/);
  }
  // Runs go on with the last good team.
  assert.equal((await t.chat({ message: "hi" })).body.answer, "still fine");

  // Fixed: the error goes; SIGHUP reloads even unchanged bytes.
  await Deno.writeTextFile(t.path, good);
  await waitFor(() => deps.teams.status().error === null, "the fixed file");
  const loadedAt = deps.teams.status().loadedAt;
  Deno.kill(Deno.pid, "SIGHUP");
  await waitFor(() => deps.teams.status().loadedAt > loadedAt, "the SIGHUP reload");
  assert.ok(logged(t.logs, "Team reloaded", { reason: "SIGHUP" }));
  // An MCP server whose configuration did not change keeps its connection across reloads.
  assert.deepEqual(deps.mcp.states().map((s) => [s.name, s.connectedAt, s.restarts]), [
    ["faults", server.connectedAt, 0],
  ]);
  assert.equal(
    parseDoc(await (await fetch(`${t.gb.url}/`)).text()).querySelector("#team-banner"),
    null,
  );
});

Deno.test({
  name: "team: SIGTERM to the real process stops its MCP servers — none outlives Glassbox",
  ignore,
}, async () => {
  await using t = await startTeam(reloadTeam("one/m1"), {
    ONE_URL: "http://x",
    TWO_URL: "http://x",
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`],
    cwd: ROOT,
    env: {
      NO_COLOR: "1",
      GLASSBOX_AGENTS: t.path,
      ONE_URL: "http://127.0.0.1:1/v1",
      TWO_URL: "http://127.0.0.1:1/v1",
      DATABASE_URL: t.dbUrl,
      PORT: "0",
      HOST: "127.0.0.1",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let said = "";
  const drained = (async () => {
    for await (const part of child.stderr.pipeThrough(new TextDecoderStream())) said += part;
  })();
  // Listening: start-up is over, SIGTERM is handled.
  await waitFor(() => /on http:\/\/localhost:\d+/.test(said), "Glassbox to listen", 20_000);
  // The fault server is the Glassbox process's child.
  const server = await waitFor(
    async () => (await childProcesses(child.pid))[0],
    "its MCP server",
    20_000,
  );
  assert.match(server, /stdio_faults\.ts/);
  const pid = Number(server.split(":")[0]);
  child.kill("SIGTERM");
  const status = await child.status;
  await drained;
  assert.equal(status.code, 0, said);
  const alive = await Deno.readTextFile(`/proc/${pid}/stat`).then((s) => !/\) Z /.test(s))
    .catch(() => false);
  assert.equal(alive, false, "the MCP server process is gone");
});
