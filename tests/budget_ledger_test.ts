/**
 * Budget windows' running totals (SpendLedger, through BudgetChecker) against a real Postgres
 * and the app's real LlmCallRecorder queue: a window is read once, then grows as calls are
 * recorded (before their rows are stored); calls recorded while a window is being read count
 * once, whether the read saw their rows or not; at midnight the next day's window starts from
 * what that day has; calls other instances store are picked up by the background re-read; and
 * every total equals the SQL sum of llm_calls once the queue is stored.
 */
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { type Budget, configuredBudget, windowsFor } from "../agents/budgets/budget.ts";
import { BudgetChecker } from "../agents/budgets/checker.ts";
import { LlmCallRecorder } from "../agents/llm/call_recorder.ts";
import { insertLlmCalls } from "../db/llm_calls.ts";
import { LOCAL_USER_ID } from "../db/users.ts";
import { callRow } from "./support/call_rows.ts";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();
const BUDGETS: Budget[] = [
  configuredBudget({ scope: "user", period: "day", subject: "", limit_usd: 100, warn_percent: 80 }),
  configuredBudget({
    scope: "agent",
    period: "month",
    subject: "",
    limit_tokens: 1e9,
    warn_percent: 80,
  }),
  configuredBudget({
    scope: "global",
    period: "day",
    subject: "",
    limit_usd: 100,
    warn_percent: 80,
  }),
];
const ctx = { userId: LOCAL_USER_ID, agentName: "planner", conversationId: null, runId: null };
const estimate = { inputTokens: 0, outputTokens: 0, usd: 0 };

async function setup(opts: { now?: () => Date; refreshMs?: number; flushMs?: number } = {}) {
  const db = await freshPostgres();
  const recorder = new LlmCallRecorder(db.sql, { flushMs: opts.flushMs ?? 20 });
  let duringRead: (() => Promise<void>) | null = null;
  const checker = new BudgetChecker(
    db.sql,
    { configured: BUDGETS, unpriced: "tokens", assumedMaxOutput: 100 },
    async () => {
      await recorder.flush();
      await duringRead?.();
    },
    opts.now,
    { refreshMs: opts.refreshMs ?? 3_600_000 },
  );
  recorder.observe((row) => checker.recorded(row));
  /** Each window's total as the checker has it, by scope. */
  const totals = async () => {
    const d = await checker.check(ctx, estimate, "m");
    assert.ok(d.allow);
    return Object.fromEntries(d.windows.map((w) => [w.window.budget.scope, w.stored]));
  };
  /** The same windows summed by SQL, once every recorded row is stored. */
  const sqlTotals = async () => {
    await recorder.flush();
    const out: Record<string, { usd: number; tokens: number }> = {};
    for (const w of windowsFor(BUDGETS, ctx, opts.now?.() ?? new Date())) {
      const f = w.filter;
      const [r] = await db.sql`
        SELECT coalesce(sum(coalesce(cost_usd, estimated_cost_usd)), 0)::float8 AS usd,
          coalesce(sum(coalesce(input_tokens, estimated_input_tokens, 0) +
            coalesce(output_tokens, estimated_output_tokens, 0)), 0)::float8 AS tok
        FROM llm_calls WHERE started_at >= ${f.since!}
          ${f.userId ? db.sql`AND user_id = ${f.userId}` : db.sql``}
          ${f.agentName ? db.sql`AND agent_name = ${f.agentName}` : db.sql``}`;
      out[w.budget.scope] = { usd: Number(r.usd), tokens: Number(r.tok) };
    }
    return out;
  };
  return {
    db,
    recorder,
    checker,
    totals,
    sqlTotals,
    setDuringRead: (fn: (() => Promise<void>) | null) => duringRead = fn,
    async [Symbol.asyncDispose]() {
      await recorder.flush();
      await db.close();
    },
  };
}

Deno.test(
  { name: "budget ledger: read once, then grows as calls are recorded", ignore },
  async () => {
    await using s = await setup();
    await insertLlmCalls(s.db.sql, [callRow({ costUsd: 1 }), callRow({ agentName: "writer" })]);
    assert.deepEqual(await s.totals(), await s.sqlTotals());
    // Recorded, not stored yet: already counted; no query needed.
    s.recorder.record(callRow({ costUsd: 0.5, inputTokens: 10, outputTokens: 5 }));
    const t = await s.totals();
    assert.equal(t.user.usd, 1.502);
    assert.equal(t.agent.tokens, 1100 + 15);
    assert.deepEqual(t, await s.sqlTotals());
    // Another user's call is in the global window only; yesterday's in none.
    const other = crypto.randomUUID();
    await s.db
      .sql`INSERT INTO users (id, email, role) VALUES (${other}, 'o@example.com', 'member')`;
    s.recorder.record(callRow({ userId: other, agentName: null, costUsd: 2 }));
    s.recorder.record(callRow({ startedAt: new Date(Date.now() - 40 * 86_400_000), costUsd: 9 }));
    const after = await s.totals();
    assert.equal(after.user.usd, t.user.usd);
    assert.equal(after.global.usd, t.global.usd + 2);
    assert.deepEqual(after, await s.sqlTotals());
  },
);

Deno.test(
  { name: "budget ledger: a call without provider usage counts by its estimate", ignore },
  async () => {
    await using s = await setup();
    // A cut stream: the provider's counts unknown (NULL), Glassbox's estimate beside them.
    const cut = (over = {}) =>
      callRow({
        inputTokens: null,
        outputTokens: null,
        costUsd: null,
        usageSource: "none",
        status: "cancelled",
        estimatedInputTokens: 300,
        estimatedOutputTokens: 40,
        estimatedCostUsd: 0.25,
        ...over,
      });
    // Stored before the window is read (the SQL read), then recorded (the running total).
    await insertLlmCalls(s.db.sql, [cut()]);
    const t = await s.totals();
    assert.deepEqual([t.user.usd, t.agent.tokens], [0.25, 340]);
    s.recorder.record(cut({ estimatedCostUsd: 0.5 }));
    s.recorder.record(callRow({ costUsd: 1 })); // the provider's usage, as before
    const after = await s.totals();
    assert.deepEqual([after.user.usd, after.agent.tokens], [1.75, 340 + 340 + 1100]);
    assert.deepEqual(after, await s.sqlTotals());
    // Unpriced: no estimated cost, its estimated tokens still count.
    s.recorder.record(cut({ estimatedCostUsd: null }));
    const unpriced = await s.totals();
    assert.deepEqual([unpriced.user.usd, unpriced.agent.tokens], [1.75, 340 * 3 + 1100]);
    assert.deepEqual(unpriced, await s.sqlTotals());
  },
);

Deno.test({
  name: "budget ledger: calls recorded while a window is read count once, stored or not",
  ignore,
}, async () => {
  // A long flush interval: a row recorded during the read stays queued unless flushed.
  await using s = await setup({ flushMs: 60_000 });
  s.recorder.record(callRow({ costUsd: 1 })); // queued before the read: stored by its flush
  // Once, during the first window's read (the other two windows' reads run alongside).
  s.setDuringRead(async () => {
    s.setDuringRead(null);
    s.recorder.record(callRow({ costUsd: 2 })); // recorded during the read, stored before it
    await s.recorder.flush();
    s.recorder.record(callRow({ costUsd: 4 })); // recorded during the read, still queued
  });
  const t = await s.totals();
  assert.equal(t.user.usd, 7);
  assert.equal(t.global.usd, 7);
  assert.equal(t.agent.tokens, 3 * 1100);
  assert.deepEqual(t, await s.sqlTotals(), "equal to the table once the queue is stored");
});

Deno.test({ name: "budget ledger: a day's window ends at midnight", ignore }, async () => {
  let now = new Date(Date.UTC(2030, 0, 31, 23, 59, 59));
  await using s = await setup({ now: () => now });
  s.recorder.record(callRow({ startedAt: now, costUsd: 3 }));
  assert.equal((await s.totals()).user.usd, 3);
  now = new Date(Date.UTC(2030, 1, 1, 0, 0, 1));
  s.recorder.record(callRow({ startedAt: now, costUsd: 1 }));
  const t = await s.totals();
  assert.equal(t.user.usd, 1, "the new day has only its own call");
  assert.equal(t.global.usd, 1);
  assert.equal(t.agent.usd, 1, "a new month too");
  assert.deepEqual(t, await s.sqlTotals());
});

Deno.test(
  { name: "budget ledger: calls another instance stores are read again", ignore },
  async () => {
    await using s = await setup({ refreshMs: 0 });
    s.recorder.record(callRow({ costUsd: 1 }));
    assert.equal((await s.totals()).user.usd, 1);
    // Stored by someone else: never recorded here.
    await insertLlmCalls(s.db.sql, [callRow({ costUsd: 5 })]);
    s.recorder.record(callRow({ costUsd: 0.25 }));
    // Each window is re-read on its own (in the background of a check): wait for all three.
    const stored = await s.sqlTotals();
    assert.equal(stored.user.usd, 6.25);
    await waitFor(
      async () => isDeepStrictEqual(await s.totals(), stored),
      "every window's re-read total",
    );
  },
);
