/**
 * Budgets set by admins, the cost settings they change at run time, the threshold crossings
 * already announced, and what has been spent in a budget's window (summed from llm_calls).
 */
import type { Sql } from "./client.ts";

export type BudgetScope = "run" | "conversation" | "user" | "agent" | "global";
export type BudgetPeriod = "day" | "month";

export interface BudgetRow {
  id: string;
  scope: BudgetScope;
  /** null for run and conversation budgets (their window is the run or conversation). */
  period: BudgetPeriod | null;
  /** One user's id or one agent's name; "" for every one (always "" for other scopes). */
  subject: string;
  limitUsd: number | null;
  limitTokens: number | null;
  warnPercent: number;
  updatedAt: Date;
}

export type BudgetInput = Omit<BudgetRow, "id" | "updatedAt">;

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toBudget(r: Record<string, unknown>): BudgetRow {
  return {
    id: String(r.id),
    scope: r.scope as BudgetScope,
    period: (r.period ?? null) as BudgetPeriod | null,
    subject: String(r.subject),
    limitUsd: num(r.limit_usd),
    limitTokens: num(r.limit_tokens),
    warnPercent: Number(r.warn_percent),
    updatedAt: r.updated_at as Date,
  };
}

export async function listBudgets(sql: Sql): Promise<BudgetRow[]> {
  const rows = await sql`
    SELECT id, scope, period, subject, limit_usd, limit_tokens, warn_percent, updated_at
    FROM budgets ORDER BY scope, period NULLS FIRST, subject`;
  return rows.map(toBudget);
}

/** Creates the budget, or replaces the one with the same scope, period and subject. */
export async function upsertBudget(
  sql: Sql,
  b: BudgetInput,
  by: string | null,
): Promise<BudgetRow> {
  const [row] = await sql`
    INSERT INTO budgets (id, scope, period, subject, limit_usd, limit_tokens, warn_percent,
      updated_by)
    VALUES (${crypto.randomUUID()}, ${b.scope}, ${b.period}, ${b.subject}, ${b.limitUsd},
      ${b.limitTokens}, ${b.warnPercent}, ${by})
    ON CONFLICT (scope, coalesce(period, ''), subject) DO UPDATE SET
      limit_usd = EXCLUDED.limit_usd, limit_tokens = EXCLUDED.limit_tokens,
      warn_percent = EXCLUDED.warn_percent, updated_by = EXCLUDED.updated_by, updated_at = now()
    RETURNING id, scope, period, subject, limit_usd, limit_tokens, warn_percent, updated_at`;
  return toBudget(row);
}

/** False when there was no such budget. */
export async function deleteBudget(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql`DELETE FROM budgets WHERE id = ${id} RETURNING id`;
  return rows.length > 0;
}

export async function getCostSetting(sql: Sql, key: string): Promise<unknown> {
  const [row] = await sql`SELECT value FROM cost_settings WHERE key = ${key}`;
  return row ? row.value : undefined;
}

export async function setCostSetting(
  sql: Sql,
  key: string,
  value: unknown,
  by: string | null,
): Promise<void> {
  await sql`
    INSERT INTO cost_settings (key, value, updated_by) VALUES (${key}, ${sql.json(value as never)},
      ${by})
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by,
      updated_at = now()`;
}

/** Which calls a window sums: every field given narrows it. */
export interface SpendWindow {
  runId?: string;
  conversationId?: string;
  userId?: string;
  agentName?: string;
  /** started_at >= since */
  since?: Date;
}

export interface Spend {
  /** Sum of the known costs. */
  usd: number;
  /** Input plus output tokens, priced or not. */
  tokens: number;
}

/**
 * What the calls of each window spent, in one query (one FILTER per window): the provider's
 * usage, else Glassbox's estimate for a call answered without it (a stream cut by a budget).
 */
export async function spendIn(sql: Sql, windows: SpendWindow[]): Promise<Spend[]> {
  if (windows.length === 0) return [];
  const cond = (w: SpendWindow) =>
    sql`TRUE
      ${w.runId !== undefined ? sql`AND run_id = ${w.runId}` : sql``}
      ${w.conversationId !== undefined ? sql`AND conversation_id = ${w.conversationId}` : sql``}
      ${w.userId !== undefined ? sql`AND user_id = ${w.userId}` : sql``}
      ${w.agentName !== undefined ? sql`AND agent_name = ${w.agentName}` : sql``}
      ${w.since !== undefined ? sql`AND started_at >= ${w.since}` : sql``}`;
  const columns = windows.map((w, i) =>
    sql`coalesce(sum(coalesce(cost_usd, estimated_cost_usd)) FILTER (WHERE ${cond(w)}), 0)::float8
        AS ${sql(`usd${i}`)},
      coalesce(sum(coalesce(input_tokens, estimated_input_tokens, 0) +
        coalesce(output_tokens, estimated_output_tokens, 0))
        FILTER (WHERE ${cond(w)}), 0)::float8 AS ${sql(`tok${i}`)}`
  );
  const list = columns.reduce((acc, c) => sql`${acc}, ${c}`);
  // The WHERE lets each window's index (run, conversation, user, agent, started) narrow the scan.
  const any = windows.map((w) => sql`(${cond(w)})`).reduce((acc, c) => sql`${acc} OR ${c}`);
  const [row] = await sql`SELECT ${list} FROM llm_calls WHERE ${any}`;
  return windows.map((_, i) => ({ usd: Number(row[`usd${i}`]), tokens: Number(row[`tok${i}`]) }));
}

/** True the first time this threshold of this window is recorded: then it is announced. */
export async function recordCrossing(
  sql: Sql,
  c: { windowKey: string; threshold: "warning" | "limit"; runId: string | null; message: string },
): Promise<boolean> {
  const rows = await sql`
    INSERT INTO budget_crossings (window_key, threshold, run_id, message)
    VALUES (${c.windowKey}, ${c.threshold}, ${c.runId}, ${c.message})
    ON CONFLICT DO NOTHING RETURNING window_key`;
  return rows.length > 0;
}

export interface CrossingRow {
  windowKey: string;
  threshold: "warning" | "limit";
  runId: string | null;
  message: string;
  at: Date;
}

export async function recentCrossings(sql: Sql, limit = 50): Promise<CrossingRow[]> {
  return await sql<CrossingRow[]>`
    SELECT window_key AS "windowKey", threshold, run_id AS "runId", message, at
    FROM budget_crossings ORDER BY at DESC LIMIT ${limit}`;
}
