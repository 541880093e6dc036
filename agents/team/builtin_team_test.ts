import assert from "node:assert/strict";
import { loadConfig } from "../../config.ts";
import { TeamHolder } from "./team_holder.ts";
import { BUILTIN_TOOLS } from "./builtin_tools.ts";

const builtin = (env: Record<string, string> = {}) => TeamHolder.read(loadConfig(env));

Deno.test("built-in team: read from its YAML file; orchestrator with a usage analyst and a clock & calculator agent", async () => {
  const { spec, text } = await builtin();
  assert.match(text, /^# The built-in team/);
  assert.equal(spec.source, "built-in");
  assert.deepEqual(spec.entry, ["glassbox"]);
  assert.deepEqual(spec.agents.map((a) => [a.name, a.title, a.subAgents, a.tools]), [
    ["glassbox", "Orchestrator", ["usage_analyst", "utility"], []],
    ["usage_analyst", "Usage analyst", [], ["llm_usage"]],
    ["utility", "Clock & calculator", [], ["clock", "calculator"]],
  ]);
  assert.deepEqual(spec.providers, [], "it declares none: it uses the environment's model");
  assert.deepEqual(spec.mcpServers, []);
});

Deno.test("built-in team: the environment's model — the demo model offline, GLASSBOX_MODEL on OPENAI_*", async () => {
  for (const a of (await builtin()).spec.agents) {
    assert.deepEqual(a.model, { provider: "glassbox-demo", model: "glassbox-demo" });
  }
  const real = await builtin({
    OPENAI_BASE_URL: "http://127.0.0.1:11434/v1",
    GLASSBOX_MODEL: "qwen3",
  });
  for (const a of real.spec.agents) {
    assert.deepEqual(a.model, { provider: "default", model: "qwen3" });
  }
});

Deno.test("built-in team: every agent and tool is described; the orchestrator names its specialists", async () => {
  const { spec } = await builtin();
  for (const a of spec.agents) {
    assert.ok(a.description && a.instructions.length > 100, a.name);
    for (const name of a.tools) {
      const t = BUILTIN_TOOLS[name];
      assert.equal(t.name, name);
      assert.ok(t.description && t.progressMessage, t.name);
      assert.equal((t.parameters as { type: string }).type, "object");
    }
  }
  // The runtime offers sub-agents as ask_<name>; the orchestrator's instructions name them.
  const [orchestrator] = spec.agents;
  for (const sub of orchestrator.subAgents) {
    assert.ok(orchestrator.instructions.includes(`ask_${sub}`));
  }
});
