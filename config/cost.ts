/** What calls cost and what may be spent: prices, budgets, unpriced calls, runaway guards. */
import { z } from "zod";
import type { PriceTable } from "../agents/llm/cost.ts";
import { BudgetSpec, UNPRICED_POLICIES, type UnpricedPolicy } from "../agents/budgets/budget.ts";
import type { RunawayLimits } from "../agents/budgets/run_guard.ts";
import { DEMO_MODEL } from "./llm.ts";
import { jsonOrUndefined, type Parsed, type VarBuilders } from "./vars.ts";

export interface CostConfig {
  /** Budgets from configuration (admins replace or add), unpriced calls, runaway guards. */
  cost: {
    budgets: BudgetSpec[];
    unpriced: UnpricedPolicy;
    /** The output a call's worst case assumes when it sets no max_tokens. */
    assumedMaxOutput: number;
    guards: RunawayLimits;
  };
  /** The environment's provider's prices (USD per million tokens); other models cost NULL. */
  prices: PriceTable;
}

export function costVars({ env, integer }: VarBuilders) {
  return {
    GLASSBOX_BUDGETS: z.string().optional().transform((raw, ctx) => {
      if (raw === undefined) return [];
      const list = z.array(BudgetSpec).max(200).safeParse(jsonOrUndefined(raw));
      if (list.success) return list.data;
      const first = list.error.issues[0];
      ctx.addIssue({
        code: "custom",
        message: `GLASSBOX_BUDGETS must be a JSON list like [{"scope":"user","period":"day",` +
          `"limit_usd":5}]: ${first.path.join(".") || "the value"}: ${first.message}`,
      });
      return z.NEVER;
    }),
    GLASSBOX_UNPRICED: z.enum(UNPRICED_POLICIES, {
      errorMap: () => ({
        message: `GLASSBOX_UNPRICED=${
          JSON.stringify(env.GLASSBOX_UNPRICED)
        } must be allow, tokens or refuse`,
      }),
    }).default("allow"),
    GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS: integer(
      "GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS",
      4096,
      1,
      10_000_000,
    ),
    GLASSBOX_RUN_MAX_LLM_CALLS: integer("GLASSBOX_RUN_MAX_LLM_CALLS", 40, 0, 100_000),
    GLASSBOX_RUN_MAX_SUBAGENTS: integer("GLASSBOX_RUN_MAX_SUBAGENTS", 16, 0, 100_000),
    GLASSBOX_RUN_MAX_SECONDS: integer("GLASSBOX_RUN_MAX_SECONDS", 900, 0, 7 * 24 * 3600),
    GLASSBOX_RUN_MAX_REPEATS: integer("GLASSBOX_RUN_MAX_REPEATS", 3, 0, 1000),
    GLASSBOX_PRICES: z.string().optional().transform((raw, ctx) => {
      if (raw === undefined) return { ...DEFAULT_PRICES };
      const table = PriceTable.safeParse(jsonOrUndefined(raw));
      if (table.success) return { ...DEFAULT_PRICES, ...table.data };
      ctx.addIssue({
        code: "custom",
        message:
          'GLASSBOX_PRICES must be JSON like {"my-model":{"input":0.5,"output":1.5}} (USD per 1M tokens)',
      });
      return z.NEVER;
    }),
  };
}

export function costConfig(v: Parsed<typeof costVars>): CostConfig {
  return {
    cost: {
      budgets: v.GLASSBOX_BUDGETS,
      unpriced: v.GLASSBOX_UNPRICED,
      assumedMaxOutput: v.GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS,
      guards: {
        maxLlmCalls: v.GLASSBOX_RUN_MAX_LLM_CALLS,
        maxSubagents: v.GLASSBOX_RUN_MAX_SUBAGENTS,
        maxWallClockMs: v.GLASSBOX_RUN_MAX_SECONDS * 1000,
        maxRepeats: v.GLASSBOX_RUN_MAX_REPEATS,
      },
    },
    prices: v.GLASSBOX_PRICES,
  };
}

/** USD per million tokens, by model; extra fields are kept. */
const PriceTable = z.record(
  z.object({
    input: z.number().nonnegative(),
    output: z.number().nonnegative(),
    cachedInput: z.number().nonnegative().optional(),
    cacheWrite: z.number().nonnegative().optional(),
    reasoning: z.number().nonnegative().optional(),
  }).passthrough(),
);

/** Default prices (USD per 1M tokens) for common models; GLASSBOX_PRICES (JSON) adds or overrides. */
export const DEFAULT_PRICES: PriceTable = {
  [DEMO_MODEL]: { input: 0, output: 0 },
  "gpt-4o": { input: 2.5, output: 10, cachedInput: 1.25 },
  "gpt-4o-mini": { input: 0.15, output: 0.6, cachedInput: 0.075 },
  "gpt-4.1": { input: 2, output: 8, cachedInput: 0.5 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6, cachedInput: 0.1 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4, cachedInput: 0.025 },
  "o4-mini": { input: 1.1, output: 4.4, cachedInput: 0.275 },
};
