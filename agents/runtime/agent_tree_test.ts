import assert from "node:assert/strict";
import { listAgents } from "./agent_tree.ts";
import type { AgentDef } from "./types.ts";

const agent = (name: string, subAgents: AgentDef[] = []) =>
  ({ name, subAgents }) as unknown as AgentDef;

Deno.test("listAgents: parent before children, a shared sub-agent once", () => {
  const shared = agent("shared");
  const root = agent("root", [agent("a", [shared]), agent("b", [shared, agent("c")])]);
  assert.deepEqual(listAgents(root).map((a) => a.name), ["root", "a", "shared", "b", "c"]);
});
