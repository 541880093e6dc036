/** llm_calls: one row per LLM call attempt, written by RecordingLlmClient; read by the UI/API. */
import type { LlmCallStatus } from "../agents/spine/events.ts";
import type { Sql } from "./client.ts";
import { ownedBy, type OwnerScope } from "./owner.ts";
import { UUID_RE } from "./uuid.ts";

export interface LlmCallRow {
  id: string;
  runId: string | null;
  spanId: string;
  parentSpanId: string | null;
  conversationId: string | null;
  /** Who the call was made for: the run's owner. */
  userId: string;
  agentName: string | null;
  operation: string;
  provider: string;
  requestModel: string;
  responseModel: string | null;
  responseId: string | null;
  requestParams: Record<string, unknown>;
  attempt: number;
  /** The messages as logged (see agents/llm/content_policy.ts); null when content logging is off. */
  prompt: unknown[] | null;
  response: string | null;
  toolDefinitions: unknown[] | null;
  toolCalls: unknown[] | null;
  finishReasons: string[] | null;
  inputTokens: number | null;
  outputTokens: number | null;
  /** Part of inputTokens read from the prompt cache. */
  cachedTokens: number | null;
  /** Part of inputTokens written to the prompt cache. */
  cacheWriteTokens: number | null;
  reasoningTokens: number | null;
  usageSource: "provider" | "none";
  costUsd: number | null;
  /**
   * Glassbox's estimate when the provider reported no usage although it answered (a stream cut
   * by a budget, cancelled, timed out or broken): tokens from the prompt and the output that
   * arrived, cost at the model's price (null: unpriced). All null otherwise; budgets count it.
   */
  estimatedInputTokens: number | null;
  estimatedOutputTokens: number | null;
  estimatedCostUsd: number | null;
  startedAt: Date;
  firstChunkAt: Date | null;
  endedAt: Date;
  durationMs: number;
  status: LlmCallStatus;
  errorType: string | null;
  errorMessage: string | null;
  metadata: Record<string, unknown>;
}

/** A list entry: the row without its bulky content (fetch that with getLlmCall). */
export type LlmCallSummary = Omit<LlmCallRow, "prompt" | "response" | "toolDefinitions">;

export interface LlmCallFilters {
  /** Whose calls (a user filter is the scope's `user`). */
  scope: OwnerScope;
  runId?: string;
  conversationId?: string;
  /** Matches the requested model. */
  model?: string;
  agent?: string;
  status?: LlmCallStatus;
  /** started_at >= from */
  from?: Date;
  /** started_at < to */
  to?: Date;
  /** 1–500, default 50. */
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

/** A bad limit, cursor or id in LlmCallFilters: the caller's mistake (an HTTP 400). */
export class LlmCallQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LlmCallQueryError";
  }
}

export async function insertLlmCall(sql: Sql, r: LlmCallRow): Promise<void> {
  await insertLlmCalls(sql, [r]);
}

/** 37 parameters a row; Postgres allows 65,535 a statement. */
const ROWS_PER_INSERT = 1000;

/**
 * Stores rows in one statement per 1,000; a row already stored (same id, a retried batch) is
 * left as it is, so a batch can be written again after a failure part-way.
 */
export async function insertLlmCalls(sql: Sql, rows: LlmCallRow[]): Promise<void> {
  // jsonb values go through sql.json; a bare JS array would be sent as a Postgres array.
  const json = (v: unknown) => v === null ? null : sql.json(v as never);
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const values = rows.slice(i, i + ROWS_PER_INSERT).map((r) => ({
      id: r.id,
      run_id: r.runId,
      span_id: r.spanId,
      parent_span_id: r.parentSpanId,
      conversation_id: r.conversationId,
      user_id: r.userId,
      agent_name: r.agentName,
      operation: r.operation,
      provider: r.provider,
      request_model: r.requestModel,
      response_model: r.responseModel,
      response_id: r.responseId,
      request_params: json(r.requestParams),
      attempt: r.attempt,
      prompt: json(r.prompt),
      response: r.response,
      tool_definitions: json(r.toolDefinitions),
      tool_calls: json(r.toolCalls),
      finish_reasons: r.finishReasons === null ? null : sql.array(r.finishReasons),
      input_tokens: r.inputTokens,
      output_tokens: r.outputTokens,
      cached_tokens: r.cachedTokens,
      cache_write_tokens: r.cacheWriteTokens,
      reasoning_tokens: r.reasoningTokens,
      usage_source: r.usageSource,
      cost_usd: r.costUsd,
      estimated_input_tokens: r.estimatedInputTokens,
      estimated_output_tokens: r.estimatedOutputTokens,
      estimated_cost_usd: r.estimatedCostUsd,
      started_at: r.startedAt,
      first_chunk_at: r.firstChunkAt,
      ended_at: r.endedAt,
      duration_ms: r.durationMs,
      status: r.status,
      error_type: r.errorType,
      error_message: r.errorMessage,
      metadata: json(r.metadata),
    }));
    await sql`INSERT INTO llm_calls ${sql(values)} ON CONFLICT (id) DO NOTHING`;
  }
}

/** Newest first, keyset-paginated on (started_at, id); nextCursor is null on the last page. */
export async function listLlmCalls(
  sql: Sql,
  f: LlmCallFilters,
): Promise<{ items: LlmCallSummary[]; nextCursor: string | null }> {
  const limit = f.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new LlmCallQueryError("limit must be an integer from 1 to 500");
  }
  for (const [name, v] of [["runId", f.runId], ["conversationId", f.conversationId]]) {
    if (v !== undefined && !UUID_RE.test(v)) throw new LlmCallQueryError(`${name} is not a uuid`);
  }
  for (const [name, d] of [["from", f.from], ["to", f.to]] as const) {
    if (d !== undefined && Number.isNaN(d.getTime())) {
      throw new LlmCallQueryError(`${name} is not a valid date`);
    }
  }
  const after = f.cursor === undefined ? null : decodeCursor(f.cursor);
  const rows = await sql`
    SELECT ${sql(SUMMARY_COLUMNS)},
      (extract(epoch FROM started_at) * 1000000)::bigint AS started_us
    FROM llm_calls
    WHERE TRUE ${ownedBy(sql, f.scope)}
      ${f.runId !== undefined ? sql`AND run_id = ${f.runId}` : sql``}
      ${f.conversationId !== undefined ? sql`AND conversation_id = ${f.conversationId}` : sql``}
      ${f.model !== undefined ? sql`AND request_model = ${f.model}` : sql``}
      ${f.agent !== undefined ? sql`AND agent_name = ${f.agent}` : sql``}
      ${f.status !== undefined ? sql`AND status = ${f.status}` : sql``}
      ${f.from !== undefined ? sql`AND started_at >= ${f.from}` : sql``}
      ${f.to !== undefined ? sql`AND started_at < ${f.to}` : sql``}
      ${after ? afterCursor(sql, after) : sql``}
    ORDER BY started_at DESC, id DESC
    LIMIT ${limit + 1}`;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => toSummary(r)),
    nextCursor: rows.length > limit && last ? encodeCursor(Number(last.started_us), last.id) : null,
  };
}

/** Every attempt of a run, oldest first, with content. */
export async function llmCallsForRun(sql: Sql, runId: string): Promise<LlmCallRow[]> {
  if (!UUID_RE.test(runId)) return [];
  const rows = await sql`
    SELECT ${sql([...SUMMARY_COLUMNS, ...CONTENT_COLUMNS])} FROM llm_calls
    WHERE run_id = ${runId} ORDER BY started_at, attempt, id`;
  return rows.map(toRow);
}

export async function getLlmCall(
  sql: Sql,
  id: string,
  scope: OwnerScope,
): Promise<LlmCallRow | null> {
  if (!UUID_RE.test(id)) return null;
  const [row] = await sql`
    SELECT ${sql([...SUMMARY_COLUMNS, ...CONTENT_COLUMNS])} FROM llm_calls
    WHERE id = ${id} ${ownedBy(sql, scope)}`;
  return row ? toRow(row) : null;
}

const SUMMARY_COLUMNS = [
  "id",
  "run_id",
  "span_id",
  "parent_span_id",
  "conversation_id",
  "user_id",
  "agent_name",
  "operation",
  "provider",
  "request_model",
  "response_model",
  "response_id",
  "request_params",
  "attempt",
  "tool_calls",
  "finish_reasons",
  "input_tokens",
  "output_tokens",
  "cached_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "usage_source",
  "cost_usd",
  "estimated_input_tokens",
  "estimated_output_tokens",
  "estimated_cost_usd",
  "started_at",
  "first_chunk_at",
  "ended_at",
  "duration_ms",
  "status",
  "error_type",
  "error_message",
  "metadata",
];
const CONTENT_COLUMNS = ["prompt", "response", "tool_definitions"];

/**
 * The cursor carries started_at in whole microseconds (Postgres' precision): a JS Date keeps only
 * milliseconds, so a cursor built from one would skip or repeat rows within the same millisecond.
 */
function afterCursor(sql: Sql, after: { us: number; id: string }) {
  // A float8 holds any microsecond timestamp of this era exactly (< 2^53).
  const t = sql`('epoch'::timestamptz + ${after.us}::float8 * interval '1 microsecond')`;
  // The plain range lets the started_at indexes narrow the scan; the row comparison breaks ties.
  return sql`AND started_at <= ${t} AND (started_at, id) < (${t}, ${after.id})`;
}

/** Opaque to clients: base64url of [started_at in µs, id]. */
function encodeCursor(us: number, id: string): string {
  return btoa(JSON.stringify([us, id])).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): { us: number; id: string } {
  try {
    const [us, id] = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
    if (Number.isSafeInteger(us) && typeof id === "string" && UUID_RE.test(id)) return { us, id };
  } catch { /* reported below */ }
  throw new LlmCallQueryError("invalid cursor");
}

// deno-lint-ignore no-explicit-any
type DbRow = Record<string, any>;

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function toSummary(r: DbRow): LlmCallSummary {
  return {
    id: r.id,
    runId: r.run_id,
    spanId: r.span_id,
    parentSpanId: r.parent_span_id,
    conversationId: r.conversation_id,
    userId: r.user_id,
    agentName: r.agent_name,
    operation: r.operation,
    provider: r.provider,
    requestModel: r.request_model,
    responseModel: r.response_model,
    responseId: r.response_id,
    requestParams: r.request_params,
    attempt: r.attempt,
    toolCalls: r.tool_calls,
    finishReasons: r.finish_reasons,
    inputTokens: num(r.input_tokens),
    outputTokens: num(r.output_tokens),
    cachedTokens: num(r.cached_tokens),
    cacheWriteTokens: num(r.cache_write_tokens),
    reasoningTokens: num(r.reasoning_tokens),
    usageSource: r.usage_source,
    costUsd: num(r.cost_usd), // numeric arrives as a string
    estimatedInputTokens: num(r.estimated_input_tokens),
    estimatedOutputTokens: num(r.estimated_output_tokens),
    estimatedCostUsd: num(r.estimated_cost_usd),
    startedAt: r.started_at,
    firstChunkAt: r.first_chunk_at,
    endedAt: r.ended_at,
    durationMs: Number(r.duration_ms),
    status: r.status,
    errorType: r.error_type,
    errorMessage: r.error_message,
    metadata: r.metadata,
  };
}

function toRow(r: DbRow): LlmCallRow {
  return {
    ...toSummary(r),
    prompt: r.prompt,
    response: r.response,
    toolDefinitions: r.tool_definitions,
  };
}
