import assert from "node:assert/strict";
import { Secret } from "../logging/secret.ts";
import { RESERVED_PROVIDERS } from "../llm/providers.ts";
import { type LoadContext, parseTeamFile, TeamFileError } from "./team_file.ts";

const ENV: Record<string, string> = {
  OPENAI_API_KEY: "sk-live-TOPSECRET",
  GH_TOKEN: "ghp_SECRET2",
  DOCS: "/srv/docs",
};
const CTX: LoadContext = {
  env: (name) => ENV[name],
  implicitProviders: new Set(["glassbox-demo"]),
  reservedProviders: RESERVED_PROVIDERS,
  defaultModel: { provider: "glassbox-demo", model: "glassbox-demo" },
};

const GOOD = `# Two providers and two MCP servers
providers:
  local:
    base_url: \${OLLAMA_URL:-http://127.0.0.1:11434/v1}
    cached_tokens: in_addition
    prices:
      claude: { input: 3, output: 15, cached_input: 0.3, cache_write: 3.75 }
  openai:
    base_url: https://api.openai.com/v1
    api_key: \${OPENAI_API_KEY}
    prices:
      gpt-4.1-mini: { input: 0.4, output: 1.6, cached_input: 0.1, reasoning: 1.6 }
mcp_servers:
  files:
    command: npx
    args: [-y, "@modelcontextprotocol/server-filesystem", "\${DOCS}"]
    env: { LOG_LEVEL: info }
  github:
    url: https://mcp.example.test/mcp
    headers:
      Authorization: Bearer \${GH_TOKEN}
    identity: true
    timeout_ms: 5000
agents:
  orchestrator:
    title: Orchestrator
    description: Answers the question
    instructions: Plan, delegate, answer.
    model: openai/gpt-4.1-mini
    sub_agents: [researcher]
  researcher:
    kind: llm
    description: Reads documents
    instructions: Find the facts.
    model: local/qwen3:4b
    temperature: 0.2
    tools: [clock]
    mcp: [files, { server: github, tools: [search_issues] }]
    progress: { read_text_file: "Reading {path}" }
  helper:
    description: Uses the environment's model
    instructions: Help.
entry: [orchestrator, helper]
`;

function problems(text: string, ctx = CTX): string[] {
  try {
    parseTeamFile(text, "team.yaml", ctx);
  } catch (error) {
    if (error instanceof TeamFileError) return error.message.split("\n");
    throw error;
  }
  assert.fail("expected a TeamFileError");
}

Deno.test("team file: a valid file becomes a spec; references resolve; secrets never print", () => {
  const team = parseTeamFile(GOOD, "team.yaml", CTX);
  assert.equal(team.source, "team.yaml");
  assert.match(team.version, /^[0-9a-f]{12}$/);
  assert.deepEqual(team.entry, ["orchestrator", "helper"]);
  const [local, openai] = team.providers;
  assert.equal(local.baseUrl, "http://127.0.0.1:11434/v1", "the fallback of an unset variable");
  assert.equal(local.apiKey, null);
  assert.equal(local.cacheAccounting, "in_addition");
  assert.equal(openai.cacheAccounting, "part_of_input", "OpenAI's rule unless the file says");
  assert.deepEqual(local.prices.claude, {
    input: 3,
    output: 15,
    cachedInput: 0.3,
    cacheWrite: 3.75,
  });
  assert.equal(openai.apiKey?.reveal(), "sk-live-TOPSECRET");
  assert.deepEqual(openai.prices["gpt-4.1-mini"], {
    input: 0.4,
    output: 1.6,
    cachedInput: 0.1,
    reasoning: 1.6,
  });
  const [files, github] = team.mcpServers;
  assert.deepEqual(files.transport.kind === "stdio" && files.transport.args, [
    "-y",
    "@modelcontextprotocol/server-filesystem",
    "/srv/docs",
  ]);
  // What is shown is what was written, references unresolved.
  assert.equal(files.display, "npx -y @modelcontextprotocol/server-filesystem ${DOCS}");
  assert.equal(github.transport.kind, "http");
  if (github.transport.kind === "http") {
    assert.equal(github.transport.headers.Authorization.reveal(), "Bearer ghp_SECRET2");
  }
  assert.equal(github.timeoutMs, 5000);
  assert.equal(github.identity, true);
  assert.equal(files.timeoutMs, 60_000);
  assert.notEqual(files.key, github.key);

  const [orchestrator, researcher, helper] = team.agents;
  assert.deepEqual(orchestrator.model, { provider: "openai", model: "gpt-4.1-mini" });
  assert.deepEqual(researcher.model, { provider: "local", model: "qwen3:4b" });
  assert.deepEqual(helper.model, CTX.defaultModel);
  assert.equal(helper.title, "helper");
  assert.equal(researcher.maxSteps, 6);
  assert.deepEqual(researcher.mcp, [
    { server: "files", tools: null },
    { server: "github", tools: ["search_issues"] },
  ]);
  assert.deepEqual(researcher.progress, { read_text_file: "Reading {path}" });

  const printed = [JSON.stringify(team), Deno.inspect(team, { depth: 10 })].join("\n");
  for (const value of ["TOPSECRET", "ghp_SECRET2"]) assert.ok(!printed.includes(value), printed);
  assert.match(printed, /\[secret \$OPENAI_API_KEY\]/);
  assert.ok(openai.apiKey instanceof Secret);
});

Deno.test("team file: every schema problem at once, each at file:line:col with its path", () => {
  const text = `providers:
  local:
    base_url: http://127.0.0.1:11434/v1
    prices: { m: { input: -1, output: 1, cahced_input: 1 } }
agents:
  orchestrator:
    description: Answers
    instructions: Plan.
    modle: local/x
    sub_agents: [researcher, nobody]
  researcher:
    description: Reads
    model: 3.5
    tools: [clock, clok]
    max_steps: 0
  Bad-Name:
    description: x
    instructions: y
entry: [orchestrator, ghost]
`;
  assert.deepEqual(problems(text), [
    "team.yaml:4:27: providers.local.prices.m.input: Number must be greater than or equal to 0",
    "team.yaml:4:42: providers.local.prices.m.cahced_input: unknown key",
    "team.yaml:9:5: agents.orchestrator.modle: unknown key",
    'team.yaml:10:30: agents.orchestrator.sub_agents[1]: unknown agent "nobody"',
    "team.yaml:12:5: agents.researcher.instructions: is required",
    "team.yaml:13:12: agents.researcher.model: Expected string, received number",
    "team.yaml:14:20: agents.researcher.tools[1]: Invalid enum value. " +
    "Expected 'clock' | 'calculator' | 'llm_usage', received 'clok'",
    "team.yaml:15:16: agents.researcher.max_steps: Number must be greater than or equal to 1",
    "team.yaml:16:3: agents.Bad-Name: must be snake_case: lowercase letters, digits and _, " +
    "starting with a letter, at most 40",
    'team.yaml:19:23: entry[1]: unknown agent "ghost"',
  ]);
});

Deno.test("team file: references between names — providers, servers, cycles, transports", () => {
  const text = `providers:
  default:
    base_url: http://x.test/v1
mcp_servers:
  both:
    command: a
    url: http://b.test/mcp
  remote:
    url: http://c.test/mcp
    args: [x]
agents:
  a:
    description: d
    instructions: i
    model: nowhere/m
    mcp: [ghost, { server: remote, tools: [t] }]
    sub_agents: [b]
    progress: { calculator: Adding }
  b:
    description: d
    instructions: i
    sub_agents: [a]
  c:
    description: d
    instructions: i
    sub_agents: [c]
entry: [a, a]
`;
  assert.deepEqual(problems(text), [
    'team.yaml:2:3: providers.default: the name "default" is reserved: it is the endpoint ' +
    "OPENAI_BASE_URL / OPENAI_API_KEY describe, when either is set",
    "team.yaml:5:3: mcp_servers.both: give either command (a process over stdio) or url " +
    "(Streamable HTTP), not both",
    "team.yaml:10:5: mcp_servers.remote.args: args is only for command servers",
    'team.yaml:15:12: agents.a.model: unknown provider "nowhere"',
    'team.yaml:16:11: agents.a.mcp[0]: unknown MCP server "ghost"',
    "team.yaml:22:18: agents.b.sub_agents[0]: sub-agent cycle: a -> b -> a",
    "team.yaml:26:18: agents.c.sub_agents[0]: sub-agent cycle: c -> c",
    'team.yaml:27:12: entry[1]: "a" is listed twice',
  ]);
  // Without MCP servers every tool is known: a progress message for another is a typo.
  assert.deepEqual(
    problems(
      `agents:\n  a:\n    description: d\n    instructions: i\n    tools: [clock]\n` +
        `    progress: { calculator: Adding }\n`,
    ),
    [
      'team.yaml:6:17: agents.a.progress.calculator: the agent has no tool "calculator" ' +
      "(its tools: clock)",
    ],
  );
});

Deno.test("team file: a key written into the file is refused and never repeated", () => {
  const text = `providers:
  openai:
    base_url: https://api.openai.com/v1
    api_key: sk-live-LEAKED
  other:
    base_url: \${NOT_SET}
    api_key: \${ALSO_NOT_SET}
agents:
  a: { description: d, instructions: i, model: openai/gpt-4o }
`;
  const found = problems(text);
  assert.deepEqual(found, [
    "team.yaml:4:14: providers.openai.api_key: must be a reference to an environment variable, " +
    "like ${OPENAI_API_KEY}; the key itself does not belong in the file",
    "team.yaml:6:15: providers.other.base_url: environment variable NOT_SET is not set",
    "team.yaml:7:14: providers.other.api_key: environment variable ALSO_NOT_SET is not set",
  ]);
  assert.ok(!found.join("\n").includes("LEAKED"));
  // A syntax error on the key's line does not quote the line either.
  const broken = problems(`providers:\n  openai:\n    api_key: "sk-live-LEAKED\n`);
  assert.deepEqual(broken, ['team.yaml:4:1: Missing closing "quote']);
});

Deno.test("team file: JSON, YAML syntax errors, aliases, bombs, empty files and bad bytes", () => {
  const json = JSON.stringify(
    {
      agents: { a: { description: "d", instructions: "i", model: "glassbox-demo/glassbox-demo" } },
    },
    null,
    2,
  );
  assert.deepEqual(parseTeamFile(json, "team.json", CTX).entry, ["a"]);
  assert.deepEqual(problems('{\n  "agents": {\n    "a": { "description": 1 }\n  }\n}'), [
    "team.yaml:3:10: agents.a.instructions: is required",
    "team.yaml:3:27: agents.a.description: Expected string, received number",
  ]);
  assert.deepEqual(problems("agents:\n  a: 1\n  a: 2\n"), [
    "team.yaml:3:3: Map keys must be unique",
  ]);
  assert.deepEqual(problems(""), ["team.yaml:1:1: Expected object, received null"]);
  const bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" +
    Array.from({ length: 8 }, (_, i) =>
      `${"bcdefghi"[i]}: &${"bcdefghi"[i]} ` +
      `[${Array(10).fill(`*${"abcdefgh"[i]}`).join(", ")}]`).join("\n");
  assert.match(problems(bomb)[0], /^team\.yaml:1:1: .*alias/i);
  // Anchors and aliases work; a problem inside an alias is reported where the text is.
  const aliased = `shared: &shared { description: d, instructions: i, model: 7 }
agents:
  a: *shared
`;
  assert.deepEqual(problems(aliased), [
    "team.yaml:1:1: shared: unknown key",
    "team.yaml:1:59: agents.a.model: Expected string, received number",
  ]);
  assert.deepEqual(problems('agents:\n  a: { description: "nul\\0", instructions: "\\ud800" }\n'), [
    "team.yaml:2:21: agents.a.description: contains a NUL character or an unpaired surrogate",
    "team.yaml:2:44: agents.a.instructions: contains a NUL character or an unpaired surrogate",
  ]);
});

Deno.test("team file: the README's example is a valid team file", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const example = readme.split("## Your own agents")[1].match(/```yaml\n([\s\S]*?)```/)![1];
  const team = parseTeamFile(example, "README.md", {
    ...CTX,
    env: (name) => ({ OPENAI_API_KEY: "sk-x", DOCS_DIR: "/srv/docs" })[name],
  });
  assert.deepEqual(team.providers.map((p) => p.name), ["local", "openai"]);
  assert.deepEqual(team.mcpServers.map((s) => s.name), ["docs"]);
  assert.deepEqual(team.entry, ["assistant", "calculator"]);
  assert.deepEqual(team.agents.map((a) => `${a.model.provider}/${a.model.model}`), [
    "openai/gpt-4.1-mini",
    "local/qwen3:4b",
    "glassbox-demo/glassbox-demo",
  ]);
});
