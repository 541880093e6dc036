/**
 * The spine: every run is one ordered stream of AG-UI events. Glassbox-specific facts that AG-UI
 * does not model (progress, agent status, LLM-call spans, log records) travel as AG-UI CUSTOM
 * events with the names below, so any AG-UI client still understands the stream.
 */
import type { Event as AgUiEvent } from "@ag-ui/core";
import { EventType } from "@ag-ui/core";

export { EventType };
export type { AgUiEvent };

/** One event of one run as persisted (events table), published on the hub and encoded. */
export interface RunEvent {
  /** Global, increasing within a run; the SSE `id:` (Last-Event-ID resumes after it). */
  id: number;
  runId: string;
  /** 1, 2, 3… gap-free within the run. */
  seq: number;
  /** ms since epoch. */
  createdAt: number;
  event: AgUiEvent;
}

export const CUSTOM = {
  progress: "glassbox.progress",
  agentStatus: "glassbox.agent_status",
  llmCallStarted: "glassbox.llm_call_started",
  llmCallFinished: "glassbox.llm_call_finished",
  log: "glassbox.log",
  runCost: "glassbox.run_cost",
  budgetWarning: "glassbox.budget_warning",
  runStopped: "glassbox.run_stopped",
} as const;
export type CustomName = typeof CUSTOM[keyof typeof CUSTOM];

export interface ProgressValue {
  /** 0–100, never decreasing within a run. */
  percent: number;
  step: number;
  totalSteps: number;
  message: string;
}

export type AgentState = "idle" | "starting" | "working" | "completed" | "error";

export interface AgentStatusValue {
  agent: string;
  status: AgentState;
  /** Set for a sub-agent invocation. */
  subagentRunId?: string;
  detail?: string;
}

export interface LlmCallStartedValue {
  callId: string;
  spanId: string;
  parentSpanId: string | null;
  agent: string;
  subagentRunId?: string;
  /** The provider's name in the team (llm_calls.provider). */
  provider: string;
  model: string;
  operation: string;
  attempt: number;
  startedAt: number;
}

/** How an LLM call attempt ended; the llm_calls.status column's CHECK lists the same four. */
export const LLM_CALL_STATUSES = ["ok", "error", "cancelled", "timeout"] as const;
export type LlmCallStatus = typeof LLM_CALL_STATUSES[number];
/** The statuses of a call that did not succeed. */
export type LlmCallFailure = Exclude<LlmCallStatus, "ok">;

export interface LlmCallFinishedValue {
  callId: string;
  spanId: string;
  agent: string;
  subagentRunId?: string;
  provider: string;
  model: string;
  responseModel: string | null;
  status: LlmCallStatus;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  durationMs: number;
  /** Time to first chunk; null when nothing arrived. */
  ttftMs: number | null;
  finishReason: string | null;
  errorMessage: string | null;
}

export type LogLevel = "trace" | "debug" | "info" | "warning" | "error" | "fatal";

export interface LogValue {
  level: LogLevel;
  /** ms since epoch */
  timestamp: number;
  agent: string | null;
  category: string;
  message: string;
  properties?: Record<string, unknown>;
}

/** The budget nearest its limit among those a run's calls count against. */
export interface BudgetStatusValue {
  /** "daily budget $5.00" */
  label: string;
  metric: "usd" | "tokens";
  spent: number;
  limit: number;
  /** ms since epoch; null: the window never resets (a run's, a conversation's). */
  resetAt: number | null;
}

/** The run's running cost: sent when a call starts (with its estimate) and when it ends. */
export interface RunCostValue {
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  /** Known costs summed; unpricedTokens are not in it. */
  costUsd: number;
  /** Tokens of calls whose model has no price. */
  unpricedTokens: number;
  /** The worst case of the calls in flight; null usd: unpriced. */
  inFlight: { calls: number; tokens: number; usd: number | null };
  budget: BudgetStatusValue | null;
}

/** Spend reached a budget's warning level or its limit: announced once per budget window. */
export interface BudgetWarningValue {
  threshold: "warning" | "limit";
  /** "daily budget $5.00: 82% used ($4.10)" */
  message: string;
  percent: number;
  budget: BudgetStatusValue;
}

/** Why a run was ended gracefully before it finished: a budget or a runaway guard. */
export const STOP_KINDS = [
  "budget",
  "unpriced",
  "llm_calls",
  "subagents",
  "wall_clock",
  "repeated_tool",
] as const;
export type StopKind = typeof STOP_KINDS[number];

/** Sent once, right before the run's RUN_FINISHED (outcome cancelled, `stoppedBy` its kind). */
export interface RunStoppedValue {
  kind: StopKind;
  /** "stopped: daily budget $5.00 reached at step 4/6" */
  message: string;
  step: number;
  totalSteps: number;
  /** When the budget's window starts again (ms since epoch); null otherwise. */
  resetAt: number | null;
}

/** Run-level summary carried in RUN_FINISHED.result. */
export interface RunResult {
  answer: string;
  llmCalls: number;
  /** null when a call that may have used tokens reported none (e.g. cut off mid-stream). */
  inputTokens: number | null;
  outputTokens: number | null;
  /** null when any call's price is unknown. */
  costUsd: number | null;
  durationMs: number;
}

export function isTerminal(ev: AgUiEvent): boolean {
  return ev.type === EventType.RUN_FINISHED || ev.type === EventType.RUN_ERROR;
}

export function customName(ev: AgUiEvent): string | null {
  return ev.type === EventType.CUSTOM ? ev.name : null;
}

export function custom<V>(name: CustomName, value: V, subagentRunId?: string): AgUiEvent {
  return subagentRunId
    ? { type: EventType.CUSTOM, name, value, subagentRunId }
    : { type: EventType.CUSTOM, name, value };
}
