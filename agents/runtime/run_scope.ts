/**
 * What one run's agents share: the tools' capabilities, the journal they emit into, progress,
 * token totals (per provider and model too), the set of things opened but not yet closed
 * (messages, tool calls, steps), so an aborted or failed run can still end with a valid AG-UI
 * stream, and its cost control: the guard that may stop it, gracefully, keeping the partial
 * answer. Each agent reaches its own model (AgentDef.llm).
 */
import {
  type AgUiEvent,
  CUSTOM,
  custom,
  EventType,
  type LlmCallFinishedValue,
  type RunStoppedValue,
} from "../spine/events.ts";
import type { RunGuard } from "../budgets/run_guard.ts";
import type { ProgressTracker } from "./progress.ts";
import type { ToolContext } from "./types.ts";

export interface UsageTotals {
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** A call with unknown cost makes the run's cost unknown. */
  costKnown: boolean;
  /** Likewise for tokens: a call that produced output but reported no usage. */
  tokensKnown: boolean;
}

/** The tokens of one provider's model in a run. */
export interface ModelUsage {
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** False when a call to it produced output but reported no usage. */
  tokensKnown: boolean;
}

export class RunScope {
  readonly usage: UsageTotals = {
    llmCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    costKnown: true,
    tokensKnown: true,
  };
  /** By `provider/model`, in the order first used. */
  readonly byModel = new Map<string, ModelUsage>();
  /** What is open, by id, with the sub-agent it belongs to (undefined: the root agent). */
  readonly #openMessages = new Map<string, string | undefined>();
  readonly #openToolCalls = new Map<string, string | undefined>();
  readonly #openSteps = new Map<string, string | undefined>();
  /** Aborted by stop(): ends whatever the run is doing, like a cancel. */
  readonly #stopper = new AbortController();
  /** The caller's cancel or a stop. */
  readonly signal: AbortSignal;
  /** Why the run was stopped (a budget, a guard); null while it was not. */
  stopped: RunStoppedValue | null = null;
  /** The run's budgets and runaway guards; null: none apply (tests of the loop alone). */
  guard: RunGuard | null = null;
  /** The root agent's latest message so far: the answer a stopped run keeps. */
  partialAnswer = "";

  constructor(
    readonly ids: { runId: string; conversationId: string; userId: string },
    readonly deps: { usage: ToolContext["usage"] },
    cancel: AbortSignal,
    readonly progress: ProgressTracker,
    private readonly sink: (ev: AgUiEvent) => void,
  ) {
    this.signal = AbortSignal.any([cancel, this.#stopper.signal]);
  }

  /** Ends the run gracefully with this reason (the first reason wins; a cancel stays a cancel). */
  stop(why: RunStoppedValue): void {
    if (this.stopped || this.signal.aborted) return;
    this.stopped = why;
    this.#stopper.abort(new Error(why.message));
  }

  emit(ev: AgUiEvent): void {
    switch (ev.type) {
      case EventType.TEXT_MESSAGE_START:
        this.#openMessages.set(ev.messageId, ev.subagentRunId);
        if (!ev.subagentRunId) this.partialAnswer = "";
        break;
      case EventType.TEXT_MESSAGE_CONTENT:
        if (!ev.subagentRunId) this.partialAnswer += ev.delta;
        break;
      case EventType.TEXT_MESSAGE_END:
        this.#openMessages.delete(ev.messageId);
        break;
      case EventType.TOOL_CALL_START:
        this.#openToolCalls.set(ev.toolCallId, ev.subagentRunId);
        break;
      case EventType.TOOL_CALL_END:
        this.#openToolCalls.delete(ev.toolCallId);
        break;
      case EventType.STEP_STARTED:
        this.#openSteps.set(ev.stepName, ev.subagentRunId);
        break;
      case EventType.STEP_FINISHED:
        this.#openSteps.delete(ev.stepName);
        break;
    }
    this.sink(ev);
  }

  countCall(v: LlmCallFinishedValue): void {
    this.usage.llmCalls++;
    this.usage.inputTokens += v.inputTokens ?? 0;
    this.usage.outputTokens += v.outputTokens ?? 0;
    // A refused request (HTTP error) is not billed; a call with tokens but no price, or one cut
    // off mid-stream without a usage report, has a cost and tokens nobody can tell: the run's
    // totals are then unknown (null), never a sum that counts them as 0.
    // A call that failed after output arrived (ttftMs set) used tokens too, uncounted.
    const mayHaveUsed = v.status !== "error" || v.ttftMs !== null;
    const tokensUnknown = (v.inputTokens === null || v.outputTokens === null) && mayHaveUsed;
    if (v.costUsd !== null) this.usage.costUsd += v.costUsd;
    else if (mayHaveUsed) this.usage.costKnown = false;
    if (tokensUnknown) this.usage.tokensKnown = false;
    const key = `${v.provider}/${v.model}`;
    const m = this.byModel.get(key) ??
      { provider: v.provider, model: v.model, inputTokens: 0, outputTokens: 0, tokensKnown: true };
    this.byModel.set(key, m);
    m.inputTokens += v.inputTokens ?? 0;
    m.outputTokens += v.outputTokens ?? 0;
    if (tokensUnknown) m.tokensKnown = false;
  }

  agentStatus(agent: string, status: string, subagentRunId?: string, detail?: string): void {
    this.emit(
      custom(CUSTOM.agentStatus, { agent, status, subagentRunId, detail }, subagentRunId),
    );
  }

  /**
   * Ends whatever is still open, innermost first: everything before a terminal event, or only
   * what belongs to one sub-agent when it fails while its siblings carry on.
   */
  closeOpen(only?: { subagentRunId: string }): void {
    const mine = (owner: string | undefined) => !only || owner === only.subagentRunId;
    for (const [messageId, subagentRunId] of this.#openMessages) {
      if (mine(subagentRunId)) {
        this.emit({ type: EventType.TEXT_MESSAGE_END, messageId, subagentRunId });
      }
    }
    for (const [toolCallId, subagentRunId] of this.#openToolCalls) {
      if (mine(subagentRunId)) {
        this.emit({ type: EventType.TOOL_CALL_END, toolCallId, subagentRunId });
      }
    }
    for (const [stepName, subagentRunId] of [...this.#openSteps].reverse()) {
      if (mine(subagentRunId)) {
        this.emit({ type: EventType.STEP_FINISHED, stepName, subagentRunId });
      }
    }
  }
}
