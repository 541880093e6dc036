/**
 * Aggregates over llm_calls for the usage tool, /api/v1/usage and /calls: totals, by model, by
 * agent. Cost stays NULL when no call in a group has a known cost; an unknown price is not a zero
 * price.
 */
import type { Sql } from "./client.ts";
import { ownedBy, type OwnerScope } from "./owner.ts";

/** Which calls to count; an absent field does not filter. */
export interface UsageFilter {
  /** Whose calls (a user filter is the scope's `user`). */
  scope: OwnerScope;
  conversationId?: string;
  /** Calls started at or after this; null: since records began. */
  since: Date | null;
  /** Calls started before this; absent: up to now. */
  until?: Date;
}

export interface UsageGroup {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** Calls whose provider reported no token counts (usage_source 'none'). */
  callsWithoutTokens: number;
  /** Sum of the known costs; null when no call in the group has one. */
  costUsd: number | null;
  callsWithoutCost: number;
  /** Tokens of the calls that used some but have no cost (their model has no price). */
  unpricedTokens: number;
}

export interface UsageTotals extends UsageGroup {
  errors: number;
  timeouts: number;
  cancelled: number;
  /** Medians over successful calls; null without any. */
  p50LatencyMs: number | null;
  p50TtftMs: number | null;
}

export interface UsageReport {
  totals: UsageTotals;
  byModel: (UsageGroup & { model: string })[];
  byAgent: (UsageGroup & { agent: string })[];
}

function whereClause(sql: Sql, f: UsageFilter) {
  return sql`WHERE TRUE ${ownedBy(sql, f.scope)}
    ${f.conversationId !== undefined ? sql`AND conversation_id = ${f.conversationId}` : sql``}
    ${f.since ? sql`AND started_at >= ${f.since}` : sql``}
    ${f.until ? sql`AND started_at < ${f.until}` : sql``}`;
}

function groupColumns(sql: Sql) {
  return sql`
    count(*)::int AS calls,
    coalesce(sum(input_tokens), 0)::float8 AS input_tokens,
    coalesce(sum(output_tokens), 0)::float8 AS output_tokens,
    (count(*) FILTER (WHERE input_tokens IS NULL AND output_tokens IS NULL))::int
      AS calls_without_tokens,
    sum(cost_usd)::float8 AS cost_usd,
    (count(*) FILTER (WHERE cost_usd IS NULL))::int AS calls_without_cost,
    coalesce(sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0))
      FILTER (WHERE cost_usd IS NULL), 0)::float8 AS unpriced_tokens`;
}

type Row = Record<string, unknown>;
function toGroup(r: Row): UsageGroup {
  return {
    calls: Number(r.calls),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    callsWithoutTokens: Number(r.calls_without_tokens),
    costUsd: r.cost_usd === null ? null : Number(r.cost_usd),
    callsWithoutCost: Number(r.calls_without_cost),
    unpricedTokens: Number(r.unpriced_tokens),
  };
}
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export async function usageReport(sql: Sql, filter: UsageFilter): Promise<UsageReport> {
  const where = whereClause(sql, filter);
  const [totalsRows, modelRows, agentRows] = await Promise.all([
    sql`
      SELECT ${groupColumns(sql)},
        (count(*) FILTER (WHERE status = 'error'))::int AS errors,
        (count(*) FILTER (WHERE status = 'timeout'))::int AS timeouts,
        (count(*) FILTER (WHERE status = 'cancelled'))::int AS cancelled,
        (percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms)
          FILTER (WHERE status = 'ok'))::float8 AS p50_latency_ms,
        (percentile_cont(0.5) WITHIN GROUP (
          ORDER BY extract(epoch FROM first_chunk_at - started_at) * 1000)
          FILTER (WHERE status = 'ok' AND first_chunk_at IS NOT NULL))::float8 AS p50_ttft_ms
      FROM llm_calls ${where}`,
    sql`
      SELECT request_model AS model, ${groupColumns(sql)}
      FROM llm_calls ${where}
      GROUP BY request_model ORDER BY count(*) DESC, request_model`,
    sql`
      SELECT coalesce(agent_name, '(unnamed)') AS agent, ${groupColumns(sql)}
      FROM llm_calls ${where}
      GROUP BY 1 ORDER BY count(*) DESC, 1`,
  ]);
  const t = totalsRows[0];
  return {
    totals: {
      ...toGroup(t),
      errors: Number(t.errors),
      timeouts: Number(t.timeouts),
      cancelled: Number(t.cancelled),
      p50LatencyMs: numOrNull(t.p50_latency_ms),
      p50TtftMs: numOrNull(t.p50_ttft_ms),
    },
    byModel: modelRows.map((r) => ({ model: String(r.model), ...toGroup(r) })),
    byAgent: agentRows.map((r) => ({ agent: String(r.agent), ...toGroup(r) })),
  };
}
