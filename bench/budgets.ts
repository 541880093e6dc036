/**
 * Budget checks: BudgetChecker.check (before every LLM call) and crossings (the threshold look-up
 * after it) with five budgets in force — run, conversation, user per day and per month, global
 * per day — over many recorded calls in their windows (seeded straight into a fresh local
 * Postgres, all in the last hour), checked alone and with a call recorded (through the app's
 * LlmCallRecorder queue) before each check, as in a busy run.
 */
import { BudgetChecker } from "../agents/budgets/checker.ts";
import { configuredBudget } from "../agents/budgets/budget.ts";
import { LlmCallRecorder } from "../agents/llm/call_recorder.ts";
import { LOCAL_USER_ID } from "../db/users.ts";
import { callRow } from "../tests/support/call_rows.ts";
import { seedUsage } from "../tests/support/usage_seed.ts";
import { type Cleanup, freshPostgres, num, summarize, table } from "./support.ts";

export async function budgetBench(cleanup: Cleanup, o: { calls: number; checks: number }) {
  const db = await freshPostgres(cleanup);
  // days 0: every seeded call started an hour ago, in today's and this month's windows.
  const { conversations } = await seedUsage(db.sql, {
    users: [LOCAL_USER_ID],
    calls: o.calls,
    days: 0,
    old: 0,
  });
  await db.sql`ANALYZE llm_calls`;
  const recorder = new LlmCallRecorder(db.sql); // as in the app: 50 ms batches;
  cleanup.add("flush recorder", () => recorder.flush());
  const huge = 1e9;
  const checker = new BudgetChecker(db.sql, {
    configured: [
      { scope: "run", limit_usd: huge, warn_percent: 80 },
      { scope: "conversation", limit_usd: huge, warn_percent: 80 },
      { scope: "user", period: "day", limit_usd: huge, warn_percent: 80 },
      { scope: "user", period: "month", limit_tokens: huge, warn_percent: 80 },
      { scope: "global", period: "day", limit_usd: huge, warn_percent: 80 },
    ].map((s) => configuredBudget({ subject: "", ...s } as Parameters<typeof configuredBudget>[0])),
    unpriced: "tokens",
    assumedMaxOutput: 4096,
  }, () => recorder.flush());
  recorder.observe((row) => checker.recorded(row));
  const ctx = {
    userId: LOCAL_USER_ID,
    agentName: "planner",
    conversationId: conversations[0].id,
    runId: crypto.randomUUID(),
  };
  const estimate = { inputTokens: 1000, outputTokens: 500, usd: 0.01 };
  const row = () =>
    callRow({ conversationId: ctx.conversationId, userId: ctx.userId, agentName: ctx.agentName });
  const time = async (n: number, fn: () => Promise<unknown>) => {
    const times = [];
    for (let i = 0; i < n + 5; i++) {
      const t0 = performance.now();
      await fn();
      if (i >= 5) times.push(performance.now() - t0); // five warm-ups
    }
    return summarize(times);
  };
  const rows: string[][] = [];
  const add = (what: string, s: ReturnType<typeof summarize>) =>
    rows.push([what, num(s.p50 * 1000, 0), num(s.p99 * 1000, 0)]);
  add("check, 5 budgets", await time(o.checks, () => checker.check(ctx, estimate, "model-small")));
  add(
    "a call recorded, then check",
    await time(o.checks, () => {
      recorder.record(row());
      return checker.check(ctx, estimate, "model-small");
    }),
  );
  add("crossings (after a call)", await time(o.checks, () => checker.crossings(ctx)));
  await recorder.flush();
  // The totals agree with the table.
  const decision = await checker.check(ctx, estimate, "model-small");
  const [sum] = await db.sql`SELECT coalesce(sum(cost_usd), 0)::float8 AS usd FROM llm_calls
    WHERE user_id = ${ctx.userId}`;
  const day = decision.allow
    ? decision.windows.find((w) =>
      w.window.budget.scope === "user" && w.window.budget.period === "day"
    )
    : undefined;
  const agrees = day && Math.abs(day.stored.usd - Number(sum.usd)) < 1e-6;
  return `${o.calls.toLocaleString("en-US")} calls in the windows, ${o.checks} checks each ` +
    `(µs):\n\n${table(["", "p50 µs", "p99 µs"], rows)}\n\n` +
    `The user's daily total ${agrees ? "equals" : "DIFFERS FROM"} the SQL sum after the run.`;
}
