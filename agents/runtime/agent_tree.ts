/** Walking an agent and its sub-agents (a team's entry agent and those it can ask). */
import type { AgentDef } from "./types.ts";

/**
 * Every agent of the tree once, parent before children (the UI shows each one's status); a
 * sub-agent that several agents ask is listed where it first appears.
 */
export function listAgents(root: AgentDef): AgentDef[] {
  const seen = new Map<string, AgentDef>();
  const walk = (a: AgentDef) => {
    if (seen.has(a.name)) return;
    seen.set(a.name, a);
    for (const sub of a.subAgents ?? []) walk(sub);
  };
  walk(root);
  return [...seen.values()];
}
