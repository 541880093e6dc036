/**
 * The admins' API routes of cost control: budgets, the unpriced policy, alert rules and
 * deliveries.
 */
import { AlertRuleBody, AlertRulePatch, DeliveriesQuery } from "../api/alerts.ts";
import { BudgetSpec, CostSettings } from "../api/budgets.ts";
import type { Operation } from "./operation.ts";
import * as R from "./responses.ts";

export const ADMIN_OPERATIONS: Record<string, Operation> = {
  "GET /api/v1/admin/budgets": {
    summary: "Budgets in force, the unpriced policy, thresholds reached lately",
    tag: "Budgets",
    access: "admin",
    ok: { json: R.BudgetsOverview, description: "the budgets" },
  },
  "POST /api/v1/admin/budgets": {
    summary: "Set a budget (a budget spec, as in the team file)",
    tag: "Budgets",
    access: "admin",
    body: BudgetSpec,
    ok: { json: R.BudgetSaved, description: "the budget as stored" },
  },
  "POST /api/v1/admin/budgets/:id/delete": {
    summary: "Delete a budget set through the API (configured budgets stay)",
    tag: "Budgets",
    access: "admin",
    ok: { noContent: "deleted" },
    errors: [404],
  },
  "POST /api/v1/admin/cost-settings": {
    summary: "How calls of unknown price count: allow, tokens or refuse",
    tag: "Budgets",
    access: "admin",
    body: CostSettings,
    ok: { json: R.BudgetsOverview, description: "the budgets after the change" },
  },
  "GET /api/v1/admin/alerts/rules": {
    summary: "Alert rules (never their secrets; only their webhooks' origins)",
    tag: "Alerts",
    access: "admin",
    ok: { json: R.AlertRules, description: "the rules" },
  },
  "POST /api/v1/admin/alerts/rules": {
    summary: "Make an alert rule: cost, error_rate, latency or budget",
    description: "The answer carries the rule's Standard Webhooks signing secret, this once. " +
      "A budget rule (`budget_level`: warning, limit or any) needs no threshold or window.",
    tag: "Alerts",
    access: "admin",
    body: AlertRuleBody,
    ok: { json: R.AlertRuleCreated, description: "the rule and its secret" },
  },
  "GET /api/v1/admin/alerts/rules/:id": {
    summary: "One alert rule",
    tag: "Alerts",
    access: "admin",
    ok: { json: R.AlertRuleOne, description: "the rule" },
    errors: [404],
  },
  "POST /api/v1/admin/alerts/rules/:id": {
    summary: "Enable or disable an alert rule",
    tag: "Alerts",
    access: "admin",
    body: AlertRulePatch,
    ok: { json: R.AlertRuleOne, description: "the rule after the change" },
    errors: [404],
  },
  "POST /api/v1/admin/alerts/rules/:id/delete": {
    summary: "Delete an alert rule and its deliveries",
    tag: "Alerts",
    access: "admin",
    ok: { noContent: "deleted" },
    errors: [404],
  },
  "POST /api/v1/admin/alerts/rules/:id/test": {
    summary: "Queue a test delivery of an alert rule",
    tag: "Alerts",
    access: "admin",
    ok: { json: R.AlertTestQueued, description: "the test delivery's id" },
    errors: [404],
  },
  "GET /api/v1/admin/alerts/deliveries": {
    summary: "The latest alert deliveries, newest first, with every attempt",
    tag: "Alerts",
    access: "admin",
    query: DeliveriesQuery,
    ok: { json: R.AlertDeliveries, description: "the deliveries" },
  },
};
