/**
 * What a budget is, which ones apply to a call, the window each one sums (a run, a conversation,
 * a UTC day or month), when that window resets, and how a budget is named to people ("daily
 * budget $5.00"). Pure: no I/O.
 */
import { z } from "zod";
import type { BudgetInput, BudgetPeriod, BudgetRow, BudgetScope } from "../../db/budgets.ts";
import { formatUsd } from "../llm/cost.ts";

export type { BudgetPeriod, BudgetScope };
export const BUDGET_SCOPES = ["run", "conversation", "user", "agent", "global"] as const;
export const BUDGET_PERIODS = ["day", "month"] as const;

/** What calls with no price may do: run unchecked, count against token limits only, or not run. */
export const UNPRICED_POLICIES = ["allow", "tokens", "refuse"] as const;
export type UnpricedPolicy = typeof UNPRICED_POLICIES[number];

/**
 * A budget as configuration (GLASSBOX_BUDGETS) and the admin API write it:
 * `{"scope": "user", "period": "day", "limit_usd": 5, "warn_percent": 80}`.
 */
export const BudgetSpec = z.object({
  scope: z.enum(BUDGET_SCOPES),
  period: z.enum(BUDGET_PERIODS).nullish(),
  /** A user's id (scope user) or an agent's name (scope agent); "" or absent: every one. */
  subject: z.string().max(200).refine(
    (v) => ![...v].some((ch) => ch.charCodeAt(0) < 0x20),
    "has control characters",
  ).default(""),
  limit_usd: z.number().nonnegative().finite().max(1_000_000).nullish(),
  limit_tokens: z.number().int().nonnegative().max(1e15).nullish(),
  warn_percent: z.number().int().min(1).max(100).default(80),
}).strict().superRefine((b, ctx) => {
  const problem = (message: string) => ctx.addIssue({ code: "custom", message });
  if (b.limit_usd == null && b.limit_tokens == null) {
    problem("needs limit_usd or limit_tokens (or both)");
  }
  const periodic = b.scope !== "run" && b.scope !== "conversation";
  if (periodic && !b.period) problem(`a ${b.scope} budget needs a period: day or month`);
  if (!periodic && b.period) {
    problem(`a ${b.scope} budget has no period (its window is the ${b.scope})`);
  }
  if (b.subject && b.scope !== "user" && b.scope !== "agent") {
    problem("only user and agent budgets name a subject");
  }
});
export type BudgetSpec = z.infer<typeof BudgetSpec>;

/** The stored shape of a spec. */
export function budgetInput(s: BudgetSpec): BudgetInput {
  return {
    scope: s.scope,
    period: s.period ?? null,
    subject: s.subject,
    limitUsd: s.limit_usd ?? null,
    limitTokens: s.limit_tokens ?? null,
    warnPercent: s.warn_percent,
  };
}

export function configuredBudget(s: BudgetSpec): Budget {
  return { id: null, source: "config", ...budgetInput(s) };
}

export interface Budget {
  /** The row's id; null for a budget from configuration. */
  id: string | null;
  source: "config" | "admin";
  scope: BudgetScope;
  period: BudgetPeriod | null;
  /** One user's id or agent's name; "" for every one. */
  subject: string;
  limitUsd: number | null;
  limitTokens: number | null;
  /** Warn once spend reaches this percent of a limit. */
  warnPercent: number;
}

/** Who makes a call: what decides which budgets and windows apply. */
export interface CallContext {
  userId: string;
  agentName: string | null;
  conversationId: string | null;
  runId: string | null;
}

/** One budget's window for one call: what to sum and when it starts again. */
export interface BudgetWindow {
  budget: Budget;
  /** Names the budget and its window: threshold crossings are announced once per key. */
  key: string;
  filter: {
    runId?: string;
    conversationId?: string;
    userId?: string;
    agentName?: string;
    since?: Date;
  };
  /** When the window starts again; null: never (a run's or conversation's total). */
  resetAt: Date | null;
}

const key = (b: Pick<Budget, "scope" | "period" | "subject">) =>
  `${b.scope}/${b.period ?? ""}/${b.subject}`;

/** Configured budgets, each replaced by an admin's with the same scope, period and subject. */
export function effectiveBudgets(configured: Budget[], rows: BudgetRow[]): Budget[] {
  const byKey = new Map<string, Budget>(configured.map((b) => [key(b), b]));
  for (const r of rows) {
    byKey.set(key(r), {
      id: r.id,
      source: "admin",
      scope: r.scope,
      period: r.period,
      subject: r.subject,
      limitUsd: r.limitUsd,
      limitTokens: r.limitTokens,
      warnPercent: r.warnPercent,
    });
  }
  return [...byKey.values()];
}

/**
 * The windows of the budgets that apply to a call. Per scope and period, a budget for this very
 * user (agent) replaces the one for every user (agent).
 */
export function windowsFor(budgets: Budget[], ctx: CallContext, now: Date): BudgetWindow[] {
  const chosen = new Map<string, Budget>();
  for (const b of budgets) {
    const subjectOf = b.scope === "user" ? ctx.userId : b.scope === "agent" ? ctx.agentName : "";
    if (subjectOf === null) continue; // an agent budget for a call made by no agent
    if (b.subject !== "" && b.subject !== subjectOf) continue;
    if (b.scope === "run" && !ctx.runId) continue;
    if (b.scope === "conversation" && !ctx.conversationId) continue;
    const slot = `${b.scope}/${b.period ?? ""}`;
    const held = chosen.get(slot);
    if (!held || (held.subject === "" && b.subject !== "")) chosen.set(slot, b);
  }
  return [...chosen.values()].map((b) => windowOf(b, ctx, now));
}

function windowOf(b: Budget, ctx: CallContext, now: Date): BudgetWindow {
  switch (b.scope) {
    case "run":
      return { budget: b, key: `run:${ctx.runId}`, filter: { runId: ctx.runId! }, resetAt: null };
    case "conversation":
      return {
        budget: b,
        key: `conversation:${ctx.conversationId}`,
        filter: { conversationId: ctx.conversationId! },
        resetAt: null,
      };
    default: {
      const { since, resetAt, label } = periodOf(b.period ?? "day", now);
      const who = b.scope === "user"
        ? { userId: ctx.userId }
        : b.scope === "agent"
        ? { agentName: ctx.agentName! }
        : {};
      const subject = b.scope === "user" ? ctx.userId : b.scope === "agent" ? ctx.agentName : "";
      return {
        budget: b,
        key: `${b.scope}:${b.period}:${subject}:${label}`,
        filter: { ...who, since },
        resetAt,
      };
    }
  }
}

/** The UTC day or month `now` is in, and when the next one starts. */
export function periodOf(period: BudgetPeriod, now: Date) {
  const y = now.getUTCFullYear(), m = now.getUTCMonth(), d = now.getUTCDate();
  if (period === "day") {
    return {
      since: new Date(Date.UTC(y, m, d)),
      resetAt: new Date(Date.UTC(y, m, d + 1)),
      label: new Date(Date.UTC(y, m, d)).toISOString().slice(0, 10),
    };
  }
  return {
    since: new Date(Date.UTC(y, m, 1)),
    resetAt: new Date(Date.UTC(y, m + 1, 1)),
    label: new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 7),
  };
}

/** "daily budget", "monthly budget of agent researcher", "run budget", "global daily budget". */
export function budgetName(b: Pick<Budget, "scope" | "period" | "subject">): string {
  const when = b.period === "day" ? "daily" : b.period === "month" ? "monthly" : "";
  switch (b.scope) {
    case "run":
      return "run budget";
    case "conversation":
      return "conversation budget";
    case "user":
      return `${when} budget`;
    case "agent":
      return `${when} budget of ${b.subject ? `agent ${b.subject}` : "each agent"}`;
    case "global":
      return `global ${when} budget`;
  }
}

export type Metric = "usd" | "tokens";

/** "$5.00" or "100,000 tokens". */
export function formatAmount(metric: Metric, amount: number): string {
  return metric === "usd"
    ? formatUsd(amount)
    : `${Math.round(amount).toLocaleString("en-US")} tokens`;
}

/** "daily budget $5.00", "run budget 10,000 tokens". */
export function limitPhrase(b: Budget, metric: Metric): string {
  const limit = metric === "usd" ? b.limitUsd : b.limitTokens;
  return `${budgetName(b)} ${formatAmount(metric, limit ?? 0)}`;
}
