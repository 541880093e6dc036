/**
 * Alert rules, their deliveries and each delivery's attempts (migration 009); the window
 * measurements the rules are checked against; and the budget events a budget rule follows.
 * A rule changes state only from the state it was read in (`UPDATE … WHERE state = …`), and its
 * delivery is written in the same transaction, so one crossing is one delivery even with two
 * evaluators. Deliveries due are claimed with a lease (FOR UPDATE SKIP LOCKED).
 */
import type { Sql } from "./client.ts";

export const ALERT_KINDS = ["cost", "error_rate", "latency", "budget"] as const;
export type AlertKind = typeof ALERT_KINDS[number];
export const ALERT_FORMATS = ["standard", "slack"] as const;
export type AlertFormat = typeof ALERT_FORMATS[number];
export const BUDGET_LEVELS = ["warning", "limit", "any"] as const;
export type BudgetLevel = typeof BUDGET_LEVELS[number];
export type AlertState = "ok" | "firing";
export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface AlertRule {
  id: string;
  name: string;
  kind: AlertKind;
  threshold: number;
  windowMinutes: number;
  minCalls: number;
  budgetLevel: BudgetLevel;
  webhookUrl: string;
  secret: string;
  format: AlertFormat;
  enabled: boolean;
  state: AlertState;
  lastValue: number | null;
  lastEvaluatedAt: Date | null;
  lastFiredAt: Date | null;
  lastEventId: number;
  createdAt: Date;
}

export type NewAlertRule = Pick<
  AlertRule,
  | "name"
  | "kind"
  | "threshold"
  | "windowMinutes"
  | "minCalls"
  | "budgetLevel"
  | "webhookUrl"
  | "secret"
  | "format"
>;

export interface Delivery {
  id: string;
  ruleId: string;
  ruleName: string;
  event: string;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
  deliveredAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
}

/** What a rule needs to sign and send a claimed delivery. */
export interface DueDelivery {
  id: string;
  payload: string;
  attempts: number;
  webhookUrl: string;
  secret: string;
}

type Row = Record<string, unknown>;
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toRule(r: Row): AlertRule {
  return {
    id: String(r.id),
    name: String(r.name),
    kind: r.kind as AlertKind,
    threshold: Number(r.threshold),
    windowMinutes: Number(r.window_minutes),
    minCalls: Number(r.min_calls),
    budgetLevel: r.budget_level as BudgetLevel,
    webhookUrl: String(r.webhook_url),
    secret: String(r.secret),
    format: r.format as AlertFormat,
    enabled: Boolean(r.enabled),
    state: r.state as AlertState,
    lastValue: numOrNull(r.last_value),
    lastEvaluatedAt: (r.last_evaluated_at as Date | null) ?? null,
    lastFiredAt: (r.last_fired_at as Date | null) ?? null,
    lastEventId: Number(r.last_event_id),
    createdAt: r.created_at as Date,
  };
}

export async function createAlertRule(sql: Sql, r: NewAlertRule): Promise<AlertRule> {
  const [row] = await sql`
    INSERT INTO alert_rules (id, name, kind, threshold, window_minutes, min_calls, budget_level,
      webhook_url, secret, format, last_event_id)
    VALUES (${crypto.randomUUID()}, ${r.name}, ${r.kind}, ${r.threshold}, ${r.windowMinutes},
      ${r.minCalls}, ${r.budgetLevel}, ${r.webhookUrl}, ${r.secret}, ${r.format},
      (SELECT coalesce(max(id), 0) FROM events))
    RETURNING *`;
  return toRule(row);
}

export async function listAlertRules(sql: Sql, opts: { enabled?: true } = {}) {
  const rows = await sql`
    SELECT * FROM alert_rules ${opts.enabled ? sql`WHERE enabled` : sql``}
    ORDER BY created_at, id`;
  return rows.map(toRule);
}

export async function getAlertRule(sql: Sql, id: string): Promise<AlertRule | null> {
  const [row] = await sql`SELECT * FROM alert_rules WHERE id = ${id}`;
  return row ? toRule(row) : null;
}

/** true when the rule existed. */
export async function setAlertRuleEnabled(sql: Sql, id: string, enabled: boolean) {
  const rows = await sql`
    UPDATE alert_rules SET enabled = ${enabled}, state = 'ok' WHERE id = ${id} RETURNING id`;
  return rows.length > 0;
}

export async function deleteAlertRule(sql: Sql, id: string): Promise<boolean> {
  return (await sql`DELETE FROM alert_rules WHERE id = ${id} RETURNING id`).length > 0;
}

/** The LLM calls since `since`, as the rules measure them. */
export interface WindowMeasure {
  calls: number;
  /** Known costs only; 0 when none is known (unpriced calls cannot cross a cost threshold). */
  costUsd: number;
  /** Calls that ended in error or timeout (cancelled calls are someone's choice). */
  failed: number;
  okCalls: number;
  latencyP95: number | null;
}

export async function measureWindow(sql: Sql, since: Date): Promise<WindowMeasure> {
  const [r] = await sql`
    SELECT count(*)::int AS calls, coalesce(sum(cost_usd), 0)::float8 AS cost_usd,
      (count(*) FILTER (WHERE status IN ('error', 'timeout')))::int AS failed,
      (count(*) FILTER (WHERE status = 'ok'))::int AS ok_calls,
      (percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)
        FILTER (WHERE status = 'ok'))::float8 AS latency_p95
    FROM llm_calls WHERE started_at >= ${since}`;
  return {
    calls: Number(r.calls),
    costUsd: Number(r.cost_usd),
    failed: Number(r.failed),
    okCalls: Number(r.ok_calls),
    latencyP95: numOrNull(r.latency_p95),
  };
}

/**
 * Records a measurement, and moves the rule from `from` to the other state when `to` differs,
 * writing the delivery with it. Returns the delivery's id when it moved (null: no change, or
 * another evaluator moved it first).
 */
export async function recordEvaluation(
  sql: Sql,
  rule: Pick<AlertRule, "id" | "state">,
  value: number | null,
  to: AlertState,
  delivery: { event: string; payload: (id: string) => string },
): Promise<string | null> {
  if (to === rule.state) {
    await sql`UPDATE alert_rules SET last_value = ${value}, last_evaluated_at = now()
      WHERE id = ${rule.id}`;
    return null;
  }
  return await sql.begin(async (tx) => {
    const moved = await tx`
      UPDATE alert_rules SET state = ${to}, last_value = ${value}, last_evaluated_at = now(),
        last_fired_at = CASE WHEN ${to}::text = 'firing' THEN now() ELSE last_fired_at END
      WHERE id = ${rule.id} AND state = ${rule.state} AND enabled RETURNING id`;
    if (!moved.length) return null;
    return await insertDelivery(tx as unknown as Sql, rule.id, delivery);
  });
}

export async function insertDelivery(
  sql: Sql,
  ruleId: string,
  d: { event: string; payload: (id: string) => string },
): Promise<string> {
  const id = crypto.randomUUID();
  await sql`INSERT INTO alert_deliveries (id, rule_id, event, payload)
    VALUES (${id}, ${ruleId}, ${d.event}, ${d.payload(id)})`;
  return id;
}

/** Budget events after the rule's cursor (oldest first), and the cursor moved past them. */
export async function takeBudgetEvents(
  sql: Sql,
  rule: Pick<AlertRule, "id" | "lastEventId">,
  names: readonly string[],
  limit = 100,
): Promise<{ id: number; runId: string; name: string; payload: unknown; createdAt: Date }[]> {
  const rows = await sql`
    SELECT id, run_id, name, payload, created_at FROM events
    WHERE id > ${rule.lastEventId} AND name = ANY(${names as string[]})
    ORDER BY id LIMIT ${limit}`;
  return rows.map((r: Row) => ({
    id: Number(r.id),
    runId: String(r.run_id),
    name: String(r.name),
    payload: r.payload,
    createdAt: r.created_at as Date,
  }));
}

/**
 * Moves a budget rule's cursor, writing its deliveries with it (once per event). false: the
 * cursor was not where the rule was read (another evaluator moved it, and wrote these).
 */
export async function recordBudgetEvents(
  sql: Sql,
  rule: Pick<AlertRule, "id" | "lastEventId">,
  lastEventId: number,
  deliveries: { event: string; payload: (id: string) => string }[],
): Promise<boolean> {
  return await sql.begin(async (tx) => {
    const moved = await tx`
      UPDATE alert_rules SET last_event_id = ${lastEventId}, last_evaluated_at = now(),
        last_fired_at = CASE WHEN ${deliveries.length}::int > 0 THEN now() ELSE last_fired_at END
      WHERE id = ${rule.id} AND last_event_id = ${rule.lastEventId} RETURNING id`;
    if (!moved.length) return false;
    for (const d of deliveries) await insertDelivery(tx as unknown as Sql, rule.id, d);
    return true;
  });
}

/** Claims up to `limit` due deliveries for `leaseMs` (a crashed sender's claim runs out). */
export async function claimDueDeliveries(
  sql: Sql,
  leaseMs: number,
  limit = 20,
): Promise<DueDelivery[]> {
  const rows = await sql`
    UPDATE alert_deliveries d
    SET next_attempt_at = now() + ${leaseMs}::float8 * interval '1 millisecond'
    FROM alert_rules r
    WHERE r.id = d.rule_id AND d.id IN (
      SELECT id FROM alert_deliveries
      WHERE status = 'pending' AND next_attempt_at <= now()
      ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING d.id, d.payload, d.attempts, r.webhook_url, r.secret`;
  return rows.map((r: Row) => ({
    id: String(r.id),
    payload: String(r.payload),
    attempts: Number(r.attempts),
    webhookUrl: String(r.webhook_url),
    secret: String(r.secret),
  }));
}

/** One attempt's outcome; `retryInMs` null: no more attempts (delivered, or given up). */
export async function recordAttempt(
  sql: Sql,
  a: {
    deliveryId: string;
    attempt: number;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
    delivered: boolean;
    retryInMs: number | null;
  },
): Promise<void> {
  const status: DeliveryStatus = a.delivered
    ? "delivered"
    : a.retryInMs === null
    ? "failed"
    : "pending";
  await sql.begin(async (tx) => {
    await tx`INSERT INTO alert_delivery_attempts (delivery_id, attempt, status_code, error,
        duration_ms)
      VALUES (${a.deliveryId}, ${a.attempt}, ${a.statusCode}, ${a.error}, ${a.durationMs})`;
    await tx`UPDATE alert_deliveries SET status = ${status}, attempts = ${a.attempt},
        last_status = ${a.statusCode}, last_error = ${a.error},
        delivered_at = CASE WHEN ${a.delivered}::boolean THEN now() ELSE NULL END,
        next_attempt_at = now() + ${a.retryInMs ?? 0}::float8 * interval '1 millisecond'
      WHERE id = ${a.deliveryId}`;
  });
}

/** When the next pending delivery is due (null: none). */
export async function nextDeliveryAt(sql: Sql): Promise<Date | null> {
  const [r] = await sql`
    SELECT min(next_attempt_at) AS at FROM alert_deliveries WHERE status = 'pending'`;
  return (r?.at as Date | null) ?? null;
}

export async function listDeliveries(sql: Sql, limit = 100): Promise<Delivery[]> {
  const rows = await sql`
    SELECT d.*, r.name AS rule_name FROM alert_deliveries d JOIN alert_rules r ON r.id = d.rule_id
    ORDER BY d.created_at DESC, d.id LIMIT ${limit}`;
  return rows.map((r: Row) => ({
    id: String(r.id),
    ruleId: String(r.rule_id),
    ruleName: String(r.rule_name),
    event: String(r.event),
    payload: String(r.payload),
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at as Date,
    createdAt: r.created_at as Date,
    deliveredAt: (r.delivered_at as Date | null) ?? null,
    lastStatus: numOrNull(r.last_status),
    lastError: (r.last_error as string | null) ?? null,
  }));
}

export interface Attempt {
  attempt: number;
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** The attempts of these deliveries, by delivery, in order. */
export async function attemptsOf(sql: Sql, ids: string[]): Promise<Map<string, Attempt[]>> {
  const out = new Map<string, Attempt[]>();
  if (!ids.length) return out;
  const rows = await sql`
    SELECT * FROM alert_delivery_attempts WHERE delivery_id = ANY(${ids}::uuid[])
    ORDER BY delivery_id, attempt`;
  for (const r of rows) {
    const list = out.get(String(r.delivery_id)) ?? [];
    list.push({
      attempt: Number(r.attempt),
      at: r.at as Date,
      statusCode: numOrNull(r.status_code),
      error: (r.error as string | null) ?? null,
      durationMs: Number(r.duration_ms),
    });
    out.set(String(r.delivery_id), list);
  }
  return out;
}
