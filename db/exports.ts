/**
 * Exports: every row of a filtered table, newest first, in pages of a bounded size — each page
 * its own keyset query, so memory stays flat however many rows there are, and the connection is
 * free between pages (the embedded database has only one). Rows are as stored (snake_case
 * columns), within the caller's OwnerScope.
 */
import type { Sql } from "./client.ts";
import { LOG_COLUMNS, type LogFilter, logWhere } from "./log_records.ts";
import { ownedBy, type OwnerScope } from "./owner.ts";

export type ExportRow = Record<string, unknown>;

export interface LlmCallExportFilter {
  scope: OwnerScope;
  status?: string;
  model?: string;
  runId?: string;
  conversationId?: string;
  from?: Date;
  to?: Date;
}

export interface RunExportFilter {
  scope: OwnerScope;
  status?: string;
  agent?: string;
  conversationId?: string;
  from?: Date;
  to?: Date;
}

export const LLM_CALL_EXPORT_COLUMNS = [
  "id",
  "run_id",
  "conversation_id",
  "user_id",
  "agent_name",
  "span_id",
  "parent_span_id",
  "operation",
  "provider",
  "request_model",
  "response_model",
  "attempt",
  "status",
  "error_type",
  "error_message",
  "input_tokens",
  "output_tokens",
  "cached_tokens",
  "reasoning_tokens",
  "cost_usd",
  "started_at",
  "first_chunk_at",
  "ended_at",
  "duration_ms",
  "finish_reasons",
  "request_params",
  "prompt",
  "response",
  "tool_calls",
];

export const RUN_EXPORT_COLUMNS = [
  "id",
  "conversation_id",
  "user_id",
  "agent",
  "status",
  "error",
  "started_at",
  "ended_at",
  "team_version",
  "llm_calls",
  "input_tokens",
  "output_tokens",
  "cost_usd",
];

// deno-lint-ignore no-explicit-any
type Fragment = any;

/** What to export: a table (or subquery), its time column, the columns and the filter. */
export interface Source {
  from: Fragment;
  time: string;
  columns: Fragment;
  where: Fragment;
}

export function logExport(sql: Sql, f: LogFilter): Source {
  return { from: sql`log_records`, time: "at", columns: sql(LOG_COLUMNS), where: logWhere(sql, f) };
}

export function llmCallExport(sql: Sql, f: LlmCallExportFilter): Source {
  return {
    from: sql`llm_calls`,
    time: "started_at",
    columns: sql(LLM_CALL_EXPORT_COLUMNS),
    where: sql`WHERE TRUE ${ownedBy(sql, f.scope)}
      ${f.status !== undefined ? sql`AND status = ${f.status}` : sql``}
      ${f.model !== undefined ? sql`AND request_model = ${f.model}` : sql``}
      ${f.runId !== undefined ? sql`AND run_id = ${f.runId}` : sql``}
      ${f.conversationId !== undefined ? sql`AND conversation_id = ${f.conversationId}` : sql``}
      ${f.from !== undefined ? sql`AND started_at >= ${f.from}` : sql``}
      ${f.to !== undefined ? sql`AND started_at < ${f.to}` : sql``}`,
  };
}

export function runExport(sql: Sql, f: RunExportFilter): Source {
  return {
    // Each run with its calls' totals (one indexed lookup per run).
    from: sql`(
      SELECT r.id, r.conversation_id, r.user_id, r.agent, r.status, r.error, r.started_at,
        r.ended_at, r.team_version, u.llm_calls, u.input_tokens, u.output_tokens, u.cost_usd
      FROM runs r LEFT JOIN LATERAL (
        SELECT count(*)::int AS llm_calls, sum(input_tokens)::bigint AS input_tokens,
          sum(output_tokens)::bigint AS output_tokens, sum(cost_usd) AS cost_usd
        FROM llm_calls c WHERE c.run_id = r.id) u ON TRUE
      WHERE TRUE ${ownedBy(sql, f.scope, "r.user_id")}
        ${f.status !== undefined ? sql`AND r.status = ${f.status}` : sql``}
        ${f.agent !== undefined ? sql`AND r.agent = ${f.agent}` : sql``}
        ${f.conversationId !== undefined ? sql`AND r.conversation_id = ${f.conversationId}` : sql``}
        ${f.from !== undefined ? sql`AND r.started_at >= ${f.from}` : sql``}
        ${f.to !== undefined ? sql`AND r.started_at < ${f.to}` : sql``}
    ) runs`,
    time: "started_at",
    columns: sql(RUN_EXPORT_COLUMNS),
    where: sql`WHERE TRUE`,
  };
}

/** The source's rows, newest first, `pageSize` at a time. */
export async function* exportPages(
  sql: Sql,
  s: Source,
  pageSize = 1000,
): AsyncGenerator<ExportRow[]> {
  const time = sql(s.time);
  let before: { us: number; id: unknown } | null = null;
  for (;;) {
    const t = before &&
      sql`('epoch'::timestamptz + ${before.us}::float8 * interval '1 microsecond')`;
    const rows: ExportRow[] = await sql`
      SELECT ${s.columns}, (extract(epoch FROM ${time}) * 1000000)::bigint AS _us
      FROM ${s.from} ${s.where}
        ${
      before ? sql`AND ${time} <= ${t!} AND (${time}, id) < (${t!}, ${before.id as string})` : sql``
    }
      ORDER BY ${time} DESC, id DESC
      LIMIT ${pageSize}`;
    if (rows.length === 0) return;
    const last = rows[rows.length - 1];
    before = { us: Number(last._us), id: last.id };
    for (const r of rows) delete r._us;
    yield rows;
    if (rows.length < pageSize) return;
  }
}
