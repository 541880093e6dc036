/** What route handlers may use: built once in app.ts. */
import type { EventHub } from "../agents/spine/event_hub.ts";
import type { Journals } from "../agents/spine/journal.ts";
import type { RunManager } from "../agents/runs/run_manager.ts";
import type { LlmClient } from "../agents/llm/types.ts";
import type { AgentDef } from "../agents/runtime/types.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import type { Auth } from "../auth/auth.ts";
import type { EdgeSettings } from "./security.ts";

export interface AppDeps {
  config: Config;
  db: Database;
  hub: EventHub;
  journals: Journals;
  runs: RunManager;
  llm: LlmClient;
  team: AgentDef;
  demo: boolean;
  version: string;
  /** Accounts and access: sessions, keys, sign-in, users. */
  auth: Auth;
  /** The public origin, trusted proxy and loopback facts the edge checks use. */
  edge: EdgeSettings;
  /** Whether the configured model endpoint answers (cached by the health route). */
  probeModel(): Promise<{ ok: boolean; detail: string }>;
}
