/** The runs table: one row per agent run, with its outcome and its owner. */
import type { Sql } from "./client.ts";
import { ownedBy, type OwnerScope } from "./owner.ts";

/** stopped: ended gracefully by a budget or a runaway guard (error holds the reason). */
export type RunStatus =
  | "running"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "interrupted"
  | "stopped";

export interface RunRow {
  id: string;
  conversationId: string;
  userId: string;
  agent: string;
  /** The version of the team it ran with. */
  teamVersion: string | null;
  status: RunStatus;
  error: string | null;
  startedAt: Date;
  endedAt: Date | null;
}

const COLUMNS = (sql: Sql) =>
  sql`id, conversation_id AS "conversationId", user_id AS "userId", agent,
      team_version AS "teamVersion", status, error, started_at AS "startedAt",
      ended_at AS "endedAt"`;

export async function insertRun(
  sql: Sql,
  run: {
    id: string;
    conversationId: string;
    userId: string;
    agent: string;
    teamVersion: string | null;
    /** The instance (process) that runs it: db/instances.ts. */
    instanceId: string;
  },
): Promise<void> {
  await sql`
    INSERT INTO runs (id, conversation_id, user_id, agent, team_version, instance_id)
    VALUES (${run.id}, ${run.conversationId}, ${run.userId}, ${run.agent}, ${run.teamVersion},
      ${run.instanceId})`;
}

export async function finishRun(
  sql: Sql,
  id: string,
  status: Exclude<RunStatus, "running">,
  error: string | null,
): Promise<void> {
  await sql`
    UPDATE runs SET status = ${status}, error = ${error}, ended_at = now()
    WHERE id = ${id} AND status = 'running'`;
}

export async function getRun(sql: Sql, id: string, scope: OwnerScope): Promise<RunRow | null> {
  const [row] = await sql<RunRow[]>`
    SELECT ${COLUMNS(sql)} FROM runs WHERE id = ${id} ${ownedBy(sql, scope)}`;
  return row ?? null;
}

export async function runsForConversation(sql: Sql, conversationId: string): Promise<RunRow[]> {
  return await sql<RunRow[]>`
    SELECT ${COLUMNS(sql)} FROM runs WHERE conversation_id = ${conversationId} ORDER BY started_at`;
}

export interface RunUsage {
  llmCalls: number;
  /** null when a call that may have used tokens has none recorded (see agents/runtime). */
  inputTokens: number | null;
  outputTokens: number | null;
  /** null when any call's cost is unknown. */
  costUsd: number | null;
  errors: number;
}

/**
 * Whether a column's sum over a run's calls is known: every call has it, except calls refused
 * before any output (an HTTP error with no first chunk), which used nothing.
 */
function known(sql: Sql, column: "input_tokens" | "output_tokens" | "cost_usd") {
  return sql`coalesce(bool_and(${sql(column)} IS NOT NULL
    OR (status = 'error' AND first_chunk_at IS NULL)), true)`;
}

export async function runUsage(sql: Sql, runId: string): Promise<RunUsage> {
  const [row] = await sql`
    SELECT count(*)::int AS calls,
      CASE WHEN ${known(sql, "input_tokens")} THEN coalesce(sum(input_tokens), 0)::int END AS input,
      CASE WHEN ${known(sql, "output_tokens")}
        THEN coalesce(sum(output_tokens), 0)::int END AS output,
      CASE WHEN ${known(sql, "cost_usd")} THEN coalesce(sum(cost_usd), 0)::float8 END AS cost,
      count(*) FILTER (WHERE status <> 'ok')::int AS errors
    FROM llm_calls WHERE run_id = ${runId}`;
  return {
    llmCalls: row.calls,
    inputTokens: row.input,
    outputTokens: row.output,
    costUsd: row.cost,
    errors: row.errors,
  };
}

/** Runs by id with their owner's email and name (the /sessions page's active runs). */
export async function runsWithOwners(
  sql: Sql,
  ids: string[],
): Promise<(RunRow & { userEmail: string | null; userName: string | null })[]> {
  if (ids.length === 0) return [];
  return await sql<(RunRow & { userEmail: string | null; userName: string | null })[]>`
    SELECT r.id, r.conversation_id AS "conversationId", r.user_id AS "userId", r.agent,
      r.team_version AS "teamVersion", r.status, r.error, r.started_at AS "startedAt",
      r.ended_at AS "endedAt", u.email AS "userEmail", u.name AS "userName"
    FROM runs r LEFT JOIN users u ON u.id = r.user_id
    WHERE r.id IN ${sql(ids)}`;
}
