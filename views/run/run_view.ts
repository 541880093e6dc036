/**
 * The plain view model of one run: what `foldRun` builds from events and what the components
 * render. No functions, no I/O — a past run, a reloaded live run and a live stream all render
 * through these shapes.
 */
import type {
  AgentState,
  BudgetWarningValue,
  LlmCallStatus,
  LogLevel,
  ProgressValue,
  RunCostValue,
  RunResult,
} from "../../agents/spine/events.ts";

export type RunState = "pending" | "running" | "succeeded" | "cancelled" | "failed";

export interface AgentStatusView {
  status: AgentState;
  detail: string | null;
}

export interface AgentRowView extends AgentStatusView {
  name: string;
  title: string;
}

/** The root agent (subagentRunId null) or one sub-agent invocation. */
export interface AgentNodeView extends AgentStatusView {
  kind: "agent";
  nodeId: string;
  subagentRunId: string | null;
  name: string;
  title: string;
  children: TreeNodeView[];
}

/** Everything an LLM call's head shows; all of it is in the llm_call_finished value. */
export interface LlmCallView {
  /** The llm_calls row: /calls/<callId> shows everything recorded. */
  callId: string;
  spanId: string;
  agent: string;
  model: string;
  status: "running" | LlmCallStatus;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  durationMs: number | null;
  ttftMs: number | null;
  errorMessage: string | null;
}

export interface LlmNodeView {
  kind: "llm";
  nodeId: string;
  call: LlmCallView;
  operation: string;
  attempt: number;
  children: TreeNodeView[];
}

/** streaming: arguments arriving; running: the tool works; done/error: result known. */
export type ToolState = "streaming" | "running" | "done" | "error";

export interface ToolNodeView {
  kind: "tool";
  nodeId: string;
  toolCallId: string;
  name: string;
  /** The MCP server the tool belongs to; null for built-in tools. */
  server: string | null;
  status: ToolState;
  args: string;
  result: string | null;
  children: TreeNodeView[];
}

/** Text a sub-agent wrote (the root agent's text is the answer bubble instead). */
export interface MessageNodeView {
  kind: "message";
  nodeId: string;
  messageId: string;
  text: string;
}

export type TreeNodeView = AgentNodeView | LlmNodeView | ToolNodeView | MessageNodeView;

export interface AnswerView {
  /** The root agent's streamed messages, in order. */
  messages: { messageId: string; text: string }[];
  /** The final answer (RUN_FINISHED result.answer) when non-empty: rendered as Markdown. */
  final: string | null;
}

export interface LogView {
  level: LogLevel;
  timestamp: number;
  agent: string | null;
  category: string;
  message: string;
}

export interface RunErrorView {
  message: string;
  code: string | null;
}

export interface RunView {
  runId: string;
  conversationId: string | null;
  /** The last event folded in: a re-attaching stream continues after it. 0 when none. */
  lastEventId: number;
  state: RunState;
  model: string | null;
  demo: boolean;
  userMessage: string | null;
  progress: ProgressValue | null;
  agents: AgentRowView[];
  tree: AgentNodeView;
  answer: AnswerView;
  /** The last LOG_LIMIT log records. */
  logs: LogView[];
  logCount: number;
  usage: RunResult | null;
  /** A failed run's error; a stopped run's reason (code: what stopped it, e.g. "budget"). */
  error: RunErrorView | null;
  /** The running cost (the last glassbox.run_cost). */
  cost: RunCostValue | null;
  /** The last budget warning the run announced. */
  budgetWarning: BudgetWarningValue | null;
}
