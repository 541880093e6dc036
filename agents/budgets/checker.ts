/**
 * BudgetChecker: the one place that decides whether an LLM call may be made, for runs and for
 * the gateway alike. `check` takes what each applicable budget's window has spent (the
 * SpendLedger's running totals: read from llm_calls once per window, then kept up to date as
 * calls are recorded; plus the calls still in flight in this process) and refuses a call whose
 * worst case would pass a limit, saying which, and when its window resets. `crossings` announces,
 * once per window, that spend reached a budget's warning level or its limit.
 */
import { isDatabaseUnavailable, type Sql } from "../../db/client.ts";
import { getCostSetting, listBudgets, recordCrossing, type Spend } from "../../db/budgets.ts";
import { type RecordedCall, SpendLedger } from "./ledger.ts";
import {
  type Budget,
  type BudgetWindow,
  type CallContext,
  effectiveBudgets,
  formatAmount,
  limitPhrase,
  type Metric,
  UNPRICED_POLICIES,
  type UnpricedPolicy,
  windowsFor,
} from "./budget.ts";
import type { ModelPrice } from "../llm/cost.ts";
import { type Amount, type CallEstimate, costOf, tokensOfText } from "./estimate.ts";

export interface BudgetSettings {
  /** Budgets from configuration (an admin's with the same scope, period and subject replace). */
  configured: Budget[];
  /** From configuration; an admin's setting replaces it. */
  unpriced: UnpricedPolicy;
  /** Output assumed for the worst case of a call that sets no max_tokens. */
  assumedMaxOutput: number;
}

export type BudgetDecision =
  | {
    allow: true;
    /** The windows the call counts against, for checking it while it streams. */
    windows: WindowSpend[];
  }
  | {
    allow: false;
    /** "daily budget $5.00 reached", "model x has no price and unpriced calls are refused". */
    reason: string;
    /** Which budget refused; null when the unpriced policy did. */
    budget: Budget | null;
    metric: Metric | null;
    /** When the budget's window starts again; null: never (a run's or conversation's). */
    resetAt: Date | null;
    /** Whole seconds until resetAt (at least 1), for Retry-After; null with resetAt. */
    retryAfterS: number | null;
  };

/** A window and what its stored calls had spent when the call was checked. */
export interface WindowSpend {
  window: BudgetWindow;
  stored: Spend;
}

export interface Crossing {
  threshold: "warning" | "limit";
  budget: Budget;
  metric: Metric;
  /** Spent in the window, and the limit. */
  spent: number;
  limit: number;
  percent: number;
  resetAt: Date | null;
  /** "daily budget $5.00: 82% used ($4.10)". */
  message: string;
}

/** A call being made: its running usage counts against every window it is in. */
export interface InFlight {
  ctx: CallContext;
  amount: Amount;
}

const CACHE_MS = 5_000;
/** The cost_settings key of the unpriced policy an admin set. */
export const UNPRICED_KEY = "unpriced_policy";

export class BudgetChecker {
  readonly #inFlight = new Set<InFlight>();
  #cached: { at: number; budgets: Budget[]; unpriced: UnpricedPolicy } | null = null;
  /** The last read, kept through invalidate(): what holds while the database is away. */
  #lastRead: { at: number; budgets: Budget[]; unpriced: UnpricedPolicy } | null = null;
  readonly #ledger: SpendLedger;
  /** Thresholds known to be recorded already (`window:metric:level`): not asked again. */
  readonly #announced = new Set<string>();

  constructor(
    private readonly sql: Sql,
    readonly settings: BudgetSettings,
    /**
     * Resolves once every llm_calls row recorded so far is stored: calls are recorded through a
     * queue, so a window is read only once the calls that ended before are in (the calls
     * recorded after are added as they are, through `recorded`).
     */
    stored: () => Promise<void> = () => Promise.resolve(),
    private readonly now: () => Date = () => new Date(),
    ledger: { refreshMs?: number; idleMs?: number } = {},
  ) {
    this.#ledger = new SpendLedger(sql, { stored, now: () => this.now().getTime(), ...ledger });
  }

  /** A call was recorded (its llm_calls row queued): it counts in its windows from now on. */
  recorded(row: RecordedCall): void {
    this.#ledger.recorded(row);
  }

  /** What each window has spent: the ledger's totals (read once per window). */
  #storedSpend(windows: BudgetWindow[]): Promise<Spend[]> {
    return this.#ledger.spend(windows);
  }

  /**
   * The budgets in force and the unpriced policy; re-read every 5 s or after invalidate(). While
   * the database is away the last ones read stay in force (app.ts reads them at start), so an
   * outage neither fails every LLM call nor lifts the budgets.
   */
  async current(): Promise<{ budgets: Budget[]; unpriced: UnpricedPolicy }> {
    const c = this.#cached;
    if (c && performance.now() - c.at < CACHE_MS) return c;
    let rows: Awaited<ReturnType<typeof listBudgets>>;
    let policy: Awaited<ReturnType<typeof getCostSetting>>;
    try {
      [rows, policy] = await Promise.all([
        listBudgets(this.sql),
        getCostSetting(this.sql, UNPRICED_KEY),
      ]);
    } catch (err) {
      if (this.#lastRead && isDatabaseUnavailable(err)) return this.#lastRead;
      throw err;
    }
    const unpriced = UNPRICED_POLICIES.includes(policy as UnpricedPolicy)
      ? policy as UnpricedPolicy
      : this.settings.unpriced;
    this.#cached = this.#lastRead = {
      at: performance.now(),
      budgets: effectiveBudgets(this.settings.configured, rows),
      unpriced,
    };
    return this.#cached;
  }

  /** An admin changed budgets or settings: the next check reads them. */
  invalidate(): void {
    this.#cached = null;
  }

  /**
   * May a call with this worst case be made for `ctx`? `model` names an unpriced model in the
   * refusal. This is the gateway's hook too: a refusal carries the reset time for Retry-After.
   */
  async check(ctx: CallContext, estimate: CallEstimate, model: string): Promise<BudgetDecision> {
    const { budgets, unpriced } = await this.current();
    if (estimate.usd === null && unpriced === "refuse") {
      return refuse(`model ${model} has no price and unpriced calls are refused`, null, null, null);
    }
    if (estimate.usd === null && unpriced === "allow") return { allow: true, windows: [] };
    const now = this.now();
    const windows = windowsFor(budgets, ctx, now);
    if (windows.length === 0) return { allow: true, windows: [] };
    const stored = await this.#storedSpend(windows);
    const spent = stored.map((s, i) => this.#withInFlight(s, windows[i]));
    const worst: Amount = {
      tokens: estimate.inputTokens + estimate.outputTokens,
      usd: estimate.usd,
    };
    for (const [i, w] of windows.entries()) {
      const over = exceeded(w.budget, spent[i], worst);
      if (over) {
        const retryAfterS = w.resetAt
          ? Math.max(1, Math.ceil((w.resetAt.getTime() - now.getTime()) / 1000))
          : null;
        return refuse(
          `${limitPhrase(w.budget, over)} reached`,
          w.budget,
          over,
          w.resetAt,
          retryAfterS,
        );
      }
    }
    return { allow: true, windows: windows.map((window, i) => ({ window, stored: stored[i] })) };
  }

  /** Counts a call's running usage against its windows until `end()`. */
  begin(ctx: CallContext, amount: Amount): { update(a: Amount): void; end(): void } {
    const entry: InFlight = { ctx, amount };
    this.#inFlight.add(entry);
    return {
      update: (a) => entry.amount = a,
      end: () => this.#inFlight.delete(entry),
    };
  }

  /**
   * Meters one allowed call while it streams, for runs and the gateway alike: `output(chars)` as
   * its text and tool arguments arrive counts them (4 characters a token) against its windows,
   * and calls `onPassed` — each time, until the caller stops the call — once the running cost of
   * the calls in flight there passes a limit; `end()` when the call is over.
   */
  meter(
    ctx: CallContext,
    windows: WindowSpend[],
    estimate: CallEstimate,
    price: ModelPrice | undefined,
    onPassed: (window: BudgetWindow, metric: Metric) => void,
  ): { output(chars: number): void; end(): void } {
    const inFlight = this.begin(ctx, {
      tokens: estimate.inputTokens,
      usd: costOf(price, estimate.inputTokens, 0),
    });
    let chars = 0;
    return {
      output: (n) => {
        chars += n;
        const out = tokensOfText(chars);
        inFlight.update({
          tokens: estimate.inputTokens + out,
          usd: costOf(price, estimate.inputTokens, out),
        });
        const passed = windows.length ? this.passed(windows) : null;
        if (passed) onPassed(passed.window, passed.metric);
      },
      end: () => inFlight.end(),
    };
  }

  /**
   * The first limit that the stored spend checked at the start of a call, plus every call in
   * flight in its windows now (this one's running usage included), has passed; null while within
   * all. Calls that finished meanwhile count from the next check on.
   */
  passed(windows: WindowSpend[]): { window: BudgetWindow; metric: Metric } | null {
    for (const ws of windows) {
      const { usd, tokens } = this.#withInFlight(ws.stored, ws.window);
      const b = ws.window.budget;
      if (b.limitUsd !== null && usd > b.limitUsd) return { window: ws.window, metric: "usd" };
      if (b.limitTokens !== null && tokens > b.limitTokens) {
        return { window: ws.window, metric: "tokens" };
      }
    }
    return null;
  }

  /**
   * The thresholds that spend in `ctx`'s windows has reached and that nobody announced before
   * (recorded, so each is announced once per window, across runs and restarts), and what each
   * window has spent now (in-flight calls included).
   */
  async crossings(ctx: CallContext): Promise<{ crossed: Crossing[]; windows: WindowSpend[] }> {
    const { budgets } = await this.current();
    const windows = windowsFor(budgets, ctx, this.now());
    if (windows.length === 0) return { crossed: [], windows: [] };
    const stored = await this.#storedSpend(windows);
    const spent = stored.map((s, i) => this.#withInFlight(s, windows[i]));
    const found: Crossing[] = [];
    for (const [i, w] of windows.entries()) {
      for (const metric of ["usd", "tokens"] as const) {
        const limit = metric === "usd" ? w.budget.limitUsd : w.budget.limitTokens;
        if (limit === null) continue;
        const used = spent[i][metric];
        // Rounded first: $0.022 of $0.04 is 55%, not the 54.999… that floats make of it.
        const percent = limit > 0 ? Math.round((1e6 * used) / limit) / 1e4 : 100;
        const threshold = used >= limit
          ? "limit"
          : percent >= w.budget.warnPercent
          ? "warning"
          : null;
        if (!threshold) continue;
        const message = `${limitPhrase(w.budget, metric)}: ${Math.floor(percent)}% used (${
          formatAmount(metric, used)
        })`;
        const levels = threshold === "limit" ? ["warning", "limit"] as const : ["warning"] as const;
        for (const level of levels) {
          const known = `${w.key}:${metric}:${level}`;
          if (this.#announced.has(known)) continue;
          const fresh = await recordCrossing(this.sql, {
            windowKey: `${w.key}:${metric}`,
            threshold: level,
            runId: ctx.runId,
            message,
          });
          if (this.#announced.size > 10_000) this.#announced.clear();
          this.#announced.add(known);
          if (fresh && level === threshold) {
            found.push({
              threshold,
              budget: w.budget,
              metric,
              spent: used,
              limit,
              percent: Math.floor(percent),
              resetAt: w.resetAt,
              message,
            });
          }
        }
      }
    }
    return {
      crossed: found,
      windows: windows.map((window, i) => ({ window, stored: spent[i] })),
    };
  }

  /** Stored spend plus the running usage of the calls in flight here in the window. */
  #withInFlight(stored: Spend, w: BudgetWindow): Spend {
    let { usd, tokens } = stored;
    for (const f of this.#inFlight) {
      if (!inWindow(f.ctx, w)) continue;
      usd += f.amount.usd ?? 0;
      tokens += f.amount.tokens;
    }
    return { usd, tokens };
  }
}

function refuse(
  reason: string,
  budget: Budget | null,
  metric: Metric | null,
  resetAt: Date | null,
  retryAfterS: number | null = null,
): BudgetDecision {
  return { allow: false, reason, budget, metric, resetAt, retryAfterS };
}

/**
 * The metric whose limit `spent + more` would pass: a call that would end exactly at the limit
 * is allowed; spend already at the limit refuses any call.
 */
function exceeded(b: Budget, spent: Spend, more: Amount): Metric | null {
  const over = (used: number, add: number, limit: number | null) =>
    limit !== null && (used >= limit || used + add > limit);
  if (more.usd !== null && over(spent.usd, more.usd, b.limitUsd)) return "usd";
  if (over(spent.tokens, more.tokens, b.limitTokens)) return "tokens";
  return null;
}

/** Calls in flight started now, so a period window holds them all. */
function inWindow(ctx: CallContext, w: BudgetWindow): boolean {
  const f = w.filter;
  return (f.runId === undefined || f.runId === ctx.runId) &&
    (f.conversationId === undefined || f.conversationId === ctx.conversationId) &&
    (f.userId === undefined || f.userId === ctx.userId) &&
    (f.agentName === undefined || f.agentName === ctx.agentName);
}
