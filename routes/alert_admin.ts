/**
 * What the alerts page and the admin alerts API share: making, enabling, disabling and deleting
 * a rule (each audited, like budget changes), and how rules and deliveries are shown — never a
 * rule's secret after it is made, and only its webhook's origin (the URL can be a secret).
 */
import type { Context } from "hono";
import { shownUrl } from "../agents/alerts/alerts.ts";
import { thresholdText, windowText } from "../agents/alerts/payload.ts";
import { audit } from "../auth/audit.ts";
import {
  type AlertRule,
  type Attempt,
  createAlertRule,
  deleteAlertRule,
  type Delivery,
  setAlertRuleEnabled,
} from "../db/alerts.ts";
import type { AppDeps } from "./deps.ts";
import { BUDGET_LEVEL_LABELS, KINDS, newSecret, type RuleInput } from "./alert_rules.ts";
import { actorOf } from "./pages/account.tsx";

/** Makes the rule with a new signing secret (returned this once) and audits it. */
export async function createRule(
  deps: AppDeps,
  c: Context,
  input: RuleInput,
): Promise<{ rule: AlertRule; secret: string }> {
  const secret = newSecret();
  const rule = await createAlertRule(deps.db.sql, { ...input, secret });
  await audit(deps.db.sql, actorOf(c, deps), "alert_rule_created", rule.name, {
    id: rule.id,
    kind: rule.kind,
    condition: ruleCondition(rule),
    webhook: shownUrl(rule.webhookUrl),
    format: rule.format,
  });
  return { rule, secret };
}

export async function setRuleEnabled(deps: AppDeps, c: Context, rule: AlertRule, on: boolean) {
  await setAlertRuleEnabled(deps.db.sql, rule.id, on);
  await audit(
    deps.db.sql,
    actorOf(c, deps),
    on ? "alert_rule_enabled" : "alert_rule_disabled",
    rule.name,
    { id: rule.id },
  );
}

/** False when it was gone already. */
export async function removeRule(deps: AppDeps, c: Context, rule: AlertRule): Promise<boolean> {
  if (!(await deleteAlertRule(deps.db.sql, rule.id))) return false;
  await audit(deps.db.sql, actorOf(c, deps), "alert_rule_deleted", rule.name, { id: rule.id });
  return true;
}

/** "Cost 5.00 over 24 h", "A budget's warning level or limit is reached (warning and limit)". */
export function ruleCondition(r: AlertRule): string {
  if (r.kind === "budget") {
    const level = BUDGET_LEVEL_LABELS.find((l) => l.level === r.budgetLevel)?.label ?? "";
    return `A budget's warning level or limit is reached (${level.toLowerCase()})`;
  }
  const kind = KINDS.find((k) => k.kind === r.kind)?.label ?? r.kind;
  const min = r.kind === "cost" ? "" : `, at least ${r.minCalls} calls`;
  return `${kind.replace(/ \(.*\)/, "")} ${thresholdText(r.kind, r.threshold)} over ${
    windowText(r.windowMinutes)
  }${min}`;
}

/** A rule as the API shows it. */
export function ruleJson(r: AlertRule) {
  const budget = r.kind === "budget";
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    condition: ruleCondition(r),
    threshold: budget ? null : r.threshold,
    window_minutes: budget ? null : r.windowMinutes,
    min_calls: budget || r.kind === "cost" ? null : r.minCalls,
    budget_level: budget ? r.budgetLevel : null,
    webhook: shownUrl(r.webhookUrl),
    format: r.format,
    enabled: r.enabled,
    state: r.state,
    last_value: r.lastValue,
    last_evaluated_at: r.lastEvaluatedAt,
    last_fired_at: r.lastFiredAt,
    created_at: r.createdAt,
  };
}

/** A delivery as the API shows it, with its attempts. */
export function deliveryJson(d: Delivery, attempts: Attempt[]) {
  return {
    id: d.id,
    rule_id: d.ruleId,
    rule_name: d.ruleName,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === "pending" ? d.nextAttemptAt : null,
    created_at: d.createdAt,
    delivered_at: d.deliveredAt,
    last_status: d.lastStatus,
    last_error: d.lastError,
    payload: d.payload,
    attempt_log: attempts.map((a) => ({
      attempt: a.attempt,
      at: a.at,
      status_code: a.statusCode,
      error: a.error,
      duration_ms: a.durationMs,
    })),
  };
}
