import assert from "node:assert/strict";
import { findAgent, listAgents } from "../runtime/agent_tree.ts";
import { TEAM } from "./builtin_team.ts";

Deno.test("team: orchestrator with a usage analyst and a clock & calculator agent", () => {
  assert.deepEqual(listAgents(TEAM).map((a) => [a.name, a.title]), [
    ["glassbox", "Orchestrator"],
    ["usage_analyst", "Usage analyst"],
    ["utility", "Clock & calculator"],
  ]);
  assert.deepEqual(findAgent(TEAM, "usage_analyst")?.tools.map((t) => t.name), ["llm_usage"]);
  assert.deepEqual(findAgent(TEAM, "utility")?.tools.map((t) => t.name), ["clock", "calculator"]);
  assert.equal(findAgent(TEAM, "glassbox"), TEAM);
  assert.equal(findAgent(TEAM, "nobody"), undefined);
});

Deno.test("team: names are unique snake_case; every agent and tool is described", () => {
  const agents = listAgents(TEAM);
  assert.equal(new Set(agents.map((a) => a.name)).size, agents.length);
  for (const a of agents) {
    assert.match(a.name, /^[a-z][a-z0-9_]*$/);
    assert.ok(a.description && a.instructions.length > 100, a.name);
    for (const t of a.tools) {
      assert.match(t.name, /^[a-z_]+$/);
      assert.ok(t.description && t.progressMessage, t.name);
      assert.equal((t.parameters as { type: string }).type, "object");
    }
  }
  // The runtime offers sub-agents as ask_<name>; the orchestrator's instructions name them.
  for (const sub of TEAM.subAgents ?? []) assert.ok(TEAM.instructions.includes(`ask_${sub.name}`));
});
