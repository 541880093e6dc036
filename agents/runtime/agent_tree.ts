/** Walking an agent and its sub-agents (a team is its entry agent). */
import type { AgentDef } from "./types.ts";

/** Every agent of the tree, parent before children (the UI shows each one's status). */
export function listAgents(team: AgentDef): AgentDef[] {
  return [team, ...(team.subAgents ?? []).flatMap(listAgents)];
}

export function findAgent(team: AgentDef, name: string): AgentDef | undefined {
  return listAgents(team).find((a) => a.name === name);
}
