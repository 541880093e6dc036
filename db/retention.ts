/**
 * Retention and clearing, in small batches so neither holds the database (the embedded one has a
 * single connection) for long: each call does one batch and says how many rows it touched.
 * - log records (log_records, and the `glassbox.log` events they were copied from, so a run's
 *   replay no longer shows them) older than a date, of one run, or of one conversation. Every log
 *   event has its record (migration 006 copied the older ones), so this reaches them all;
 * - LLM call content: the prompt (and tool definitions) or the response (and tool calls) of calls
 *   older than a date is set to NULL, the call itself (model, tokens, cost, timings) is kept and
 *   its metadata says when the content went.
 */
import type { Sql } from "./client.ts";

export type LogTarget =
  | { olderThan: Date }
  | { runId: string }
  | { conversationId: string };

function targetWhere(sql: Sql, target: LogTarget) {
  return "olderThan" in target
    ? sql`at < ${target.olderThan}`
    : "runId" in target
    ? sql`run_id = ${target.runId}`
    : sql`conversation_id = ${target.conversationId}`;
}

/** How many log records the target holds (what a clear would delete). */
export async function countLogTarget(sql: Sql, target: LogTarget): Promise<number> {
  const [row] = await sql`
    SELECT count(*)::int AS n FROM log_records WHERE ${targetWhere(sql, target)}`;
  return row.n as number;
}

/** Deletes up to `batch` log records of the target (and their events); the number deleted. */
export async function deleteLogBatch(sql: Sql, target: LogTarget, batch = 1000): Promise<number> {
  const which = targetWhere(sql, target);
  const rows = await sql`
    WITH gone AS (
      DELETE FROM log_records WHERE id IN (
        SELECT id FROM log_records WHERE ${which} ORDER BY at LIMIT ${batch})
      RETURNING id, kind)
    , events_gone AS (
      DELETE FROM events WHERE name = 'glassbox.log'
        AND id IN (SELECT id FROM gone WHERE kind = 'run')
      RETURNING id)
    SELECT (SELECT count(*)::int FROM gone) AS n`;
  return rows[0].n as number;
}

export type ContentPart = "prompt" | "response";

/** Removes up to `batch` calls' prompt or response older than the date; the number changed. */
export async function dropContentBatch(
  sql: Sql,
  part: ContentPart,
  olderThan: Date,
  batch = 500,
): Promise<number> {
  const mark = sql.json({ [`${part}_removed_at`]: new Date().toISOString() });
  const rows = part === "prompt"
    ? await sql`
      UPDATE llm_calls SET prompt = NULL, tool_definitions = NULL, metadata = metadata || ${mark}
      WHERE id IN (SELECT id FROM llm_calls
        WHERE started_at < ${olderThan} AND (prompt IS NOT NULL OR tool_definitions IS NOT NULL)
        ORDER BY started_at LIMIT ${batch})
      RETURNING id`
    : await sql`
      UPDATE llm_calls SET response = NULL, tool_calls = NULL, metadata = metadata || ${mark}
      WHERE id IN (SELECT id FROM llm_calls
        WHERE started_at < ${olderThan} AND (response IS NOT NULL OR tool_calls IS NOT NULL)
        ORDER BY started_at LIMIT ${batch})
      RETURNING id`;
  return rows.length;
}
