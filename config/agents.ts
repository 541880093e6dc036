/** The agents: the team file (GLASSBOX_AGENTS) and the LLM gateway's sessions. */
import { z } from "zod";
import type { Parsed, VarBuilders } from "./vars.ts";

export interface AgentsConfig {
  /** GLASSBOX_AGENTS: the team file; null: the built-in team. */
  teamFile: string | null;
  /** A gateway session's run ends after this long without a call. */
  gatewaySessionIdleMs: number;
}

export function agentsVars({ integer }: VarBuilders) {
  return {
    GLASSBOX_GATEWAY_SESSION_IDLE_MS: integer(
      "GLASSBOX_GATEWAY_SESSION_IDLE_MS",
      300_000,
      100,
      86_400_000,
    ),
    GLASSBOX_AGENTS: z.string().optional(),
  };
}

export function agentsConfig(v: Parsed<typeof agentsVars>): AgentsConfig {
  return {
    teamFile: v.GLASSBOX_AGENTS ?? null,
    gatewaySessionIdleMs: v.GLASSBOX_GATEWAY_SESSION_IDLE_MS,
  };
}
