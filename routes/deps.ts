/** What route handlers may use: built once in app.ts. */
import type { EventHub } from "../agents/spine/event_hub.ts";
import type { Metrics } from "../agents/metrics/metrics.ts";
import type { Journals } from "../agents/spine/journal.ts";
import type { RunManager } from "../agents/runs/run_manager.ts";
import type { Gateway } from "../agents/gateway/gateway.ts";
import type { LlmCallRecorder } from "../agents/llm/call_recorder.ts";
import type { McpServers } from "../agents/mcp/servers.ts";
import type { TeamHolder } from "../agents/team/team_holder.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import type { Auth } from "../auth/auth.ts";
import type { EdgeSettings } from "./security.ts";
import type { RequestTail } from "./request_tail.ts";
import type { AlertService } from "../agents/alerts/alerts.ts";
import type { BudgetChecker } from "../agents/budgets/checker.ts";

export interface AppDeps {
  config: Config;
  db: Database;
  hub: EventHub;
  journals: Journals;
  runs: RunManager;
  /** The team (reloaded when its file changes): agents, providers, MCP servers. */
  teams: TeamHolder;
  mcp: McpServers;
  /** The recording LLM gateway (/llm/v1). */
  gateway: Gateway;
  /** The one queue of llm_calls rows: in-app runs' and the gateway's. */
  llmCalls: LlmCallRecorder;
  version: string;
  /** Accounts and access: sessions, keys, sign-in, users. */
  auth: Auth;
  /** The public origin, trusted proxy and loopback facts the edge checks use. */
  edge: EdgeSettings;
  /** Alert rules measured in the background and their webhook deliveries. */
  alerts: AlertService;
  /** Budgets and the unpriced policy: every LLM call's check (runs' and the gateway's). */
  budgets: BudgetChecker;
  /** Prometheus metrics, served at /metrics. */
  metrics: Metrics;
  /** Request records on their way to the live log tail (routes/request_tail.ts). */
  requestTail: RequestTail;
}
