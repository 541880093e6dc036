/**
 * RunGuard: one run's cost control. Before each LLM call it checks the run's runaway guards
 * and its budgets (the call's worst case); while the call streams it counts the output against
 * them and stops the run when the running cost passes a limit; after it, it announces warnings
 * (once per threshold crossing) and the run's running cost. Sub-agents and tool calls are
 * checked against the fan-out and repeated-call guards; a wall-clock timer bounds the run.
 * Every stop ends the run gracefully through RunScope.stop, with its reason.
 */
import {
  type AgUiEvent,
  type BudgetStatusValue,
  CUSTOM,
  custom,
  type LlmCallFinishedValue,
  type RunCostValue,
  type StopKind,
} from "../spine/events.ts";
import { getLogger } from "../logging/logging.ts";
import type { ModelPrice } from "../llm/cost.ts";
import type { ChatMessage, ChatTool } from "../llm/types.ts";
import type { RunScope } from "../runtime/run_scope.ts";
import { type BudgetWindow, type CallContext, limitPhrase, type Metric } from "./budget.ts";
import type { BudgetChecker, WindowSpend } from "./checker.ts";
import { estimateCall } from "./estimate.ts";

const log = getLogger("budgets");

/** Per run; 0 turns a guard off. */
export interface RunawayLimits {
  maxLlmCalls: number;
  /** Sub-agent runs started in one run, at any depth. */
  maxSubagents: number;
  maxWallClockMs: number;
  /** The same tool with the same arguments more than this many times stops the run. */
  maxRepeats: number;
}

/** The call being made, as the agent loop is about to send it. */
export interface PlannedCall {
  agentName: string;
  model: string;
  price: ModelPrice | undefined;
  messages: ChatMessage[];
  tools?: ChatTool[];
  maxTokens?: number;
}

/** One allowed call: feed it the output as it streams, end it when the call is over. */
export interface CallMeter {
  output(chars: number): void;
  end(finished: LlmCallFinishedValue | null): Promise<void>;
}

export class RunGuard {
  #calls = 0;
  #subagents = 0;
  readonly #repeats = new Map<string, number>();
  readonly #inFlight = new Set<{ tokens: number; usd: number | null }>();
  #unpricedTokens = 0;
  #budget: BudgetStatusValue | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly checker: BudgetChecker,
    private readonly limits: RunawayLimits,
    private readonly scope: RunScope,
  ) {
    const ms = limits.maxWallClockMs;
    if (ms > 0) {
      this.#timer = setTimeout(
        () => this.#stop("wall_clock", `wall-clock limit of ${seconds(ms)} reached`),
        ms,
      );
      Deno.unrefTimer(this.#timer);
    }
  }

  /** The run is over: no more timer. */
  dispose(): void {
    clearTimeout(this.#timer);
  }

  /** Checks the guards and budgets for a call; stops the run (and throws) when it may not run. */
  async beforeCall(call: PlannedCall): Promise<CallMeter> {
    const max = this.limits.maxLlmCalls;
    if (max > 0 && this.#calls >= max) {
      this.#stopAndThrow("llm_calls", `${max} LLM calls, the most a run may make, reached`);
    }
    const estimate = estimateCall(call.price, call, this.checker.settings.assumedMaxOutput);
    const ctx = this.#ctx(call.agentName);
    const decision = await this.checker.check(ctx, estimate, call.model);
    this.scope.signal.throwIfAborted();
    if (!decision.allow) {
      const kind = decision.budget ? "budget" : "unpriced";
      this.#stopAndThrow(kind, decision.reason, decision.resetAt);
    }
    this.#calls++;
    const worst = { tokens: estimate.inputTokens + estimate.outputTokens, usd: estimate.usd };
    this.#inFlight.add(worst);
    this.#budget = tightest(decision.windows, worst) ?? this.#budget;
    this.#emitCost();
    const meter = this.checker.meter(
      ctx,
      decision.windows,
      estimate,
      call.price,
      (w, metric) => this.#stopOnBudget(w, metric),
    );
    return {
      output: (n) => meter.output(n),
      end: async (finished) => {
        meter.end();
        this.#inFlight.delete(worst);
        if (finished && finished.costUsd === null && finished.inputTokens !== null) {
          this.#unpricedTokens += finished.inputTokens + (finished.outputTokens ?? 0);
        }
        await this.#announce(ctx);
        this.#emitCost();
      },
    };
  }

  /** A sub-agent is about to start: the fan-out guard. */
  beforeSubagent(): void {
    const max = this.limits.maxSubagents;
    if (max > 0 && this.#subagents >= max) {
      this.#stopAndThrow("subagents", `${max} sub-agent runs, the most a run may start, reached`);
    }
    this.#subagents++;
  }

  /** A tool (or sub-agent) is about to be called with these arguments: the repeat guard. */
  beforeTool(name: string, args: Record<string, unknown>): void {
    const max = this.limits.maxRepeats;
    if (max <= 0) return;
    const key = `${name}\u0000${JSON.stringify(args)}`;
    const n = (this.#repeats.get(key) ?? 0) + 1;
    this.#repeats.set(key, n);
    if (n > max) {
      this.#stopAndThrow(
        "repeated_tool",
        `${name} called ${n} times with the same arguments (at most ${max})`,
      );
    }
  }

  #ctx(agentName: string): CallContext {
    const { runId, conversationId, userId } = this.scope.ids;
    return { runId, conversationId, userId, agentName };
  }

  /** Warnings and limits reached since the last look, each announced once. */
  async #announce(ctx: CallContext): Promise<void> {
    const windows = await announceCrossings(this.checker, ctx, (ev) => this.scope.emit(ev));
    if (windows) this.#budget = tightest(windows, { tokens: 0, usd: 0 }) ?? this.#budget;
  }

  #emitCost(): void {
    const u = this.scope.usage;
    let tokens = 0, usd: number | null = 0;
    for (const f of this.#inFlight) {
      tokens += f.tokens;
      usd = usd === null || f.usd === null ? null : usd + f.usd;
    }
    const value: RunCostValue = {
      llmCalls: u.llmCalls,
      inputTokens: u.inputTokens,
      outputTokens: u.outputTokens,
      costUsd: Number(u.costUsd.toFixed(8)),
      unpricedTokens: this.#unpricedTokens,
      inFlight: { calls: this.#inFlight.size, tokens, usd },
      budget: this.#budget,
    };
    this.scope.emit(custom(CUSTOM.runCost, value));
  }

  #stopOnBudget(w: BudgetWindow, metric: Metric): void {
    this.#stop("budget", `${limitPhrase(w.budget, metric)} reached`, w.resetAt);
  }

  #stop(kind: StopKind, what: string, resetAt: Date | null = null): void {
    const { step, totalSteps } = this.scope.progress.position();
    this.scope.stop({
      kind,
      message: `stopped: ${what} at step ${step}/${totalSteps}`,
      step,
      totalSteps,
      resetAt: resetAt?.getTime() ?? null,
    });
  }

  #stopAndThrow(kind: StopKind, what: string, resetAt: Date | null = null): never {
    this.#stop(kind, what, resetAt);
    this.scope.signal.throwIfAborted();
    throw new Error(what); // the run was already ending otherwise (cancelled)
  }
}

/**
 * Announces the warnings and limits that spend in `ctx`'s windows reached since the last look
 * (each once per window: a glassbox.budget_warning event and a log line), after a run's call or
 * a gateway call; returns what each window has spent now, or null when that could not be read.
 */
export async function announceCrossings(
  checker: BudgetChecker,
  ctx: CallContext,
  emit: (ev: AgUiEvent) => void,
): Promise<WindowSpend[] | null> {
  let found;
  try {
    found = await checker.crossings(ctx);
  } catch (err) {
    // Announcing is best effort: the call is recorded and the next check still enforces.
    log.warn("Could not check budget thresholds: {error}", { error: String(err) });
    return null;
  }
  for (const c of found.crossed) {
    const budget = status(c, c.metric);
    log.warn("Budget {threshold}: {message}", { threshold: c.threshold, message: c.message });
    emit(custom(CUSTOM.budgetWarning, {
      threshold: c.threshold,
      message: c.message,
      percent: c.percent,
      budget,
    }));
  }
  return found.windows;
}

/** The window nearest its limit once the call's worst case is added. */
function tightest(
  windows: WindowSpend[],
  worst: { tokens: number; usd: number | null },
): BudgetStatusValue | null {
  let best: { share: number; value: BudgetStatusValue } | null = null;
  for (const { window: w, stored } of windows) {
    for (const metric of ["usd", "tokens"] as const) {
      const limit = metric === "usd" ? w.budget.limitUsd : w.budget.limitTokens;
      if (limit === null) continue;
      const spent = stored[metric];
      const share = limit > 0 ? (spent + (worst[metric] ?? 0)) / limit : Infinity;
      if (!best || share > best.share) {
        best = {
          share,
          value: {
            label: limitPhrase(w.budget, metric),
            metric,
            spent,
            limit,
            resetAt: w.resetAt?.getTime() ?? null,
          },
        };
      }
    }
  }
  return best?.value ?? null;
}

function status(
  c: { budget: BudgetWindow["budget"]; spent: number; limit: number; resetAt: Date | null },
  metric: Metric,
): BudgetStatusValue {
  return {
    label: limitPhrase(c.budget, metric),
    metric,
    spent: c.spent,
    limit: c.limit,
    resetAt: c.resetAt?.getTime() ?? null,
  };
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
