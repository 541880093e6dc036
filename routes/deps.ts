/** What route handlers may use: built once in app.ts. */
import type { EventHub } from "../agents/spine/event_hub.ts";
import type { Journals } from "../agents/spine/journal.ts";
import type { RunManager } from "../agents/runs/run_manager.ts";
import type { LlmClient } from "../agents/llm/types.ts";
import type { AgentDef } from "../agents/runtime/types.ts";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";

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
  /** Whether the configured model endpoint answers (cached by the health route). */
  probeModel(): Promise<{ ok: boolean; detail: string }>;
}
