/**
 * The usage dashboard's queries over llm_calls, one per chart: cost per time bucket and model
 * (with the unpriced calls beside it), tokens, calls by status, latency and time to first token
 * percentiles, and the conversations, users and agents that cost most. Every query takes the same
 * filter (owner scope, time range, agent, model). Buckets are UTC hours, days or weeks. A cost is
 * NULL when no call in its group has one: an unknown price is never a zero price.
 */
import type { Sql } from "./client.ts";
import { ownedBy, type OwnerScope } from "./owner.ts";

export const BUCKETS = ["hour", "day", "week"] as const;
export type Bucket = typeof BUCKETS[number];

export interface DashboardFilter {
  scope: OwnerScope;
  /** started_at >= from */
  from: Date;
  /** started_at < to */
  to: Date;
  agent?: string;
  model?: string;
  bucket: Bucket;
}

/** Calls and cost of one model in one bucket; `unpriced*` are the calls with no cost. */
export interface CostCell {
  bucket: Date;
  model: string;
  calls: number;
  costUsd: number | null;
  unpricedCalls: number;
  unpricedInputTokens: number;
  unpricedOutputTokens: number;
}

export interface TokensCell {
  bucket: Date;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  /** Calls whose provider reported no token counts. */
  callsWithoutTokens: number;
}

export interface StatusCell {
  bucket: Date;
  status: string;
  calls: number;
}

/** Over successful calls only (a failed call's duration says little about the model's speed). */
export interface LatencyCell {
  bucket: Date;
  okCalls: number;
  latencyP50: number | null;
  latencyP95: number | null;
  /** Over successful calls that streamed a first chunk. */
  ttftCalls: number;
  ttftP50: number | null;
  ttftP95: number | null;
}

export interface TopEntry {
  /** The conversation, user or agent id (null: calls without an agent name). */
  key: string | null;
  /** Conversation title, user email (or name), agent name. */
  label: string;
  calls: number;
  costUsd: number | null;
  unpricedCalls: number;
}

export const TOP_LIMIT = 10;

type Row = Record<string, unknown>;
const num = (v: unknown) => Number(v ?? 0);
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function where(sql: Sql, f: DashboardFilter) {
  return sql`WHERE started_at >= ${f.from} AND started_at < ${f.to} ${ownedBy(sql, f.scope)}
    ${f.agent !== undefined ? sql`AND agent_name = ${f.agent}` : sql``}
    ${f.model !== undefined ? sql`AND request_model = ${f.model}` : sql``}`;
}

/** The bucket a call falls in, as a UTC timestamp (date_trunc's week starts on Monday). */
function bucketOf(sql: Sql, f: DashboardFilter) {
  return sql`(date_trunc(${f.bucket}, started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`;
}

export async function costByBucket(sql: Sql, f: DashboardFilter): Promise<CostCell[]> {
  const rows = await sql`
    SELECT ${bucketOf(sql, f)} AS bucket, request_model AS model, count(*)::int AS calls,
      sum(cost_usd)::float8 AS cost_usd,
      (count(*) FILTER (WHERE cost_usd IS NULL))::int AS unpriced_calls,
      coalesce(sum(input_tokens) FILTER (WHERE cost_usd IS NULL), 0)::float8 AS unpriced_in,
      coalesce(sum(output_tokens) FILTER (WHERE cost_usd IS NULL), 0)::float8 AS unpriced_out
    FROM llm_calls ${where(sql, f)}
    GROUP BY 1, 2 ORDER BY 1, 2`;
  return rows.map((r: Row) => ({
    bucket: r.bucket as Date,
    model: String(r.model),
    calls: num(r.calls),
    costUsd: numOrNull(r.cost_usd),
    unpricedCalls: num(r.unpriced_calls),
    unpricedInputTokens: num(r.unpriced_in),
    unpricedOutputTokens: num(r.unpriced_out),
  }));
}

export async function tokensByBucket(sql: Sql, f: DashboardFilter): Promise<TokensCell[]> {
  const rows = await sql`
    SELECT ${bucketOf(sql, f)} AS bucket,
      coalesce(sum(input_tokens), 0)::float8 AS input_tokens,
      coalesce(sum(output_tokens), 0)::float8 AS output_tokens,
      coalesce(sum(cached_tokens), 0)::float8 AS cached_tokens,
      coalesce(sum(reasoning_tokens), 0)::float8 AS reasoning_tokens,
      (count(*) FILTER (WHERE input_tokens IS NULL AND output_tokens IS NULL))::int
        AS calls_without_tokens
    FROM llm_calls ${where(sql, f)}
    GROUP BY 1 ORDER BY 1`;
  return rows.map((r: Row) => ({
    bucket: r.bucket as Date,
    inputTokens: num(r.input_tokens),
    outputTokens: num(r.output_tokens),
    cachedTokens: num(r.cached_tokens),
    reasoningTokens: num(r.reasoning_tokens),
    callsWithoutTokens: num(r.calls_without_tokens),
  }));
}

export async function statusByBucket(sql: Sql, f: DashboardFilter): Promise<StatusCell[]> {
  const rows = await sql`
    SELECT ${bucketOf(sql, f)} AS bucket, status, count(*)::int AS calls
    FROM llm_calls ${where(sql, f)}
    GROUP BY 1, 2 ORDER BY 1, 2`;
  return rows.map((r: Row) => ({
    bucket: r.bucket as Date,
    status: String(r.status),
    calls: num(r.calls),
  }));
}

export async function latencyByBucket(sql: Sql, f: DashboardFilter): Promise<LatencyCell[]> {
  const ttft = sql`extract(epoch FROM first_chunk_at - started_at) * 1000`;
  const rows = await sql`
    SELECT ${bucketOf(sql, f)} AS bucket,
      (count(*) FILTER (WHERE status = 'ok'))::int AS ok_calls,
      (percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY duration_ms)
        FILTER (WHERE status = 'ok'))::float8[] AS latency,
      (count(*) FILTER (WHERE status = 'ok' AND first_chunk_at IS NOT NULL))::int AS ttft_calls,
      (percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY ${ttft})
        FILTER (WHERE status = 'ok' AND first_chunk_at IS NOT NULL))::float8[] AS ttft
    FROM llm_calls ${where(sql, f)}
    GROUP BY 1 ORDER BY 1`;
  const pair = (v: unknown) => (Array.isArray(v) ? v.map(Number) : [null, null]);
  return rows.map((r: Row) => {
    const [l50, l95] = pair(r.latency);
    const [t50, t95] = pair(r.ttft);
    return {
      bucket: r.bucket as Date,
      okCalls: num(r.ok_calls),
      latencyP50: l50,
      latencyP95: l95,
      ttftCalls: num(r.ttft_calls),
      ttftP50: t50,
      ttftP95: t95,
    };
  });
}

/** Most expensive first; groups with no known cost after every priced one, by calls. */
const topOrder = (sql: Sql) => sql`ORDER BY cost_usd DESC NULLS LAST, calls DESC, label`;

export async function topConversations(sql: Sql, f: DashboardFilter): Promise<TopEntry[]> {
  const rows = await sql`
    SELECT t.key, coalesce(nullif(c.title, ''), '(untitled)') AS label, t.calls, t.cost_usd,
      t.unpriced_calls
    FROM (
      SELECT conversation_id AS key, count(*)::int AS calls, sum(cost_usd)::float8 AS cost_usd,
        (count(*) FILTER (WHERE cost_usd IS NULL))::int AS unpriced_calls
      FROM llm_calls ${where(sql, f)} AND conversation_id IS NOT NULL
      GROUP BY 1
    ) t LEFT JOIN conversations c ON c.id = t.key
    ${topOrder(sql)} LIMIT ${TOP_LIMIT}`;
  return rows.map(toTop);
}

export async function topUsers(sql: Sql, f: DashboardFilter): Promise<TopEntry[]> {
  const rows = await sql`
    SELECT t.key, coalesce(u.email, u.name, t.key::text) AS label, t.calls, t.cost_usd,
      t.unpriced_calls
    FROM (
      SELECT user_id AS key, count(*)::int AS calls, sum(cost_usd)::float8 AS cost_usd,
        (count(*) FILTER (WHERE cost_usd IS NULL))::int AS unpriced_calls
      FROM llm_calls ${where(sql, f)}
      GROUP BY 1
    ) t LEFT JOIN users u ON u.id = t.key
    ${topOrder(sql)} LIMIT ${TOP_LIMIT}`;
  return rows.map(toTop);
}

export async function topAgents(sql: Sql, f: DashboardFilter): Promise<TopEntry[]> {
  const rows = await sql`
    SELECT agent_name AS key, coalesce(agent_name, '(unnamed)') AS label, count(*)::int AS calls,
      sum(cost_usd)::float8 AS cost_usd,
      (count(*) FILTER (WHERE cost_usd IS NULL))::int AS unpriced_calls
    FROM llm_calls ${where(sql, f)}
    GROUP BY 1 ${topOrder(sql)} LIMIT ${TOP_LIMIT}`;
  return rows.map(toTop);
}

function toTop(r: Row): TopEntry {
  return {
    key: r.key === null ? null : String(r.key),
    label: String(r.label),
    calls: num(r.calls),
    costUsd: numOrNull(r.cost_usd),
    unpricedCalls: num(r.unpriced_calls),
  };
}

/** The models and agents the filter form offers: those in scope and range, whatever is picked. */
export async function filterChoices(
  sql: Sql,
  f: Pick<DashboardFilter, "scope" | "from" | "to">,
): Promise<{ models: string[]; agents: string[] }> {
  const [row] = await sql`
    SELECT
      coalesce(array_agg(DISTINCT request_model ORDER BY request_model), '{}') AS models,
      coalesce(array_agg(DISTINCT agent_name ORDER BY agent_name)
        FILTER (WHERE agent_name IS NOT NULL), '{}') AS agents
    FROM llm_calls
    WHERE started_at >= ${f.from} AND started_at < ${f.to} ${ownedBy(sql, f.scope)}`;
  return { models: row.models as string[], agents: row.agents as string[] };
}

/** When the scope's first call started (for "all time"); null when it has none. */
export async function firstCallAt(sql: Sql, scope: OwnerScope): Promise<Date | null> {
  const [row] = await sql`
    SELECT min(started_at) AS first FROM llm_calls WHERE TRUE ${ownedBy(sql, scope)}`;
  return (row?.first as Date | null) ?? null;
}
