/** Contracts between the agent loop, tools and agents: what an agent is and what a tool gets. */
import type { UsageReport } from "../../db/usage.ts";
import type { LlmClient } from "../llm/types.ts";
import type { UsagePeriod } from "../llm/usage_period.ts";
import type { LogLevel } from "../spine/events.ts";
import type { Secret } from "../logging/secret.ts";

/** A remote AG-UI agent's endpoint (team file `kind: agui`). */
export interface RemoteAgui {
  url: string;
  headers: Record<string, Secret>;
}

export type { UsageGroup, UsageReport } from "../../db/usage.ts";

/** Whose LLM usage a tool may ask about: the run's conversation, its user, or everything. */
export const USAGE_SCOPES = ["conversation", "user", "all"] as const;
export type UsageScope = typeof USAGE_SCOPES[number];

export interface UsageQuery {
  scope: UsageScope;
  period: UsagePeriod;
}

/**
 * What a tool gets: who runs it, the run's cancellation, logging, and narrow capabilities (never a
 * database handle) that the run manager binds to this run.
 */
export interface ToolContext {
  /** LLM usage as recorded, for this run's conversation or user (or all of Glassbox). */
  usage(query: UsageQuery): Promise<UsageReport>;
  runId: string;
  conversationId: string;
  userId: string;
  agentName: string;
  signal: AbortSignal;
  /** A record in the run's log; may be called from any context (e.g. an MCP notification). */
  log(level: LogLevel, message: string, properties?: Record<string, unknown>): void;
  /** What the call is doing now, shown as the run's progress message. */
  progress(message: string): void;
}

export interface ToolDef {
  /** The name the model calls it by. */
  name: string;
  description: string;
  /** The MCP server the tool belongs to, shown beside it; absent for built-in tools. */
  server?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  /** Friendly step message shown in progress, e.g. "Checking the clock". */
  progressMessage?(args: Record<string, unknown>): string;
  /** Returns the text handed back to the model. Throwing reports a tool error to the model. */
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<string>;
}

/** Tools that come and go while Glassbox runs: an MCP server's. */
export interface ToolSource {
  /** The MCP server's name. */
  name: string;
  /** The tools available now (the last list the server gave). */
  tools(): ToolDef[];
  /** Why the tools cannot be used now, for the model and the log; null when they can. */
  unavailable(): string | null;
}

export interface AgentDef {
  /** snake_case; unique within a team. */
  name: string;
  /** Shown in the UI, e.g. "Usage analyst". */
  title: string;
  description: string;
  instructions: string;
  tools: ToolDef[];
  /** Tools listed by MCP servers, looked up at every step. */
  toolSources?: ToolSource[];
  /** Called like tools (as `ask_<name>` with `{ task }`); appear as children in the tree. */
  subAgents?: AgentDef[];
  /** LLM round trips before the agent must stop (default 6). */
  maxSteps?: number;
  /** Its provider's recording client, and the model name sent to it. */
  llm: LlmClient;
  model: string;
  temperature?: number;
  /** Set for a remote AG-UI agent: it runs there, and `llm` and `model` are not used. */
  remote?: RemoteAgui;
}
