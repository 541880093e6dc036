/**
 * What an alert rule may be, for the /admin/alerts form (strings) and the JSON API (typed values)
 * alike: one set of rules, two shapes of input. A budget rule needs only its level (warning,
 * limit or any); the others a threshold, a window and (rates, latency) a minimum of calls.
 */
import { z } from "zod/v4";
import { ALERT_FORMATS, BUDGET_LEVELS, type NewAlertRule } from "../db/alerts.ts";
import { nameField } from "./pages/page_query.ts";

export const WINDOWS = [
  { minutes: 15, label: "15 minutes" },
  { minutes: 60, label: "1 hour" },
  { minutes: 1440, label: "24 hours" },
  { minutes: 10080, label: "7 days" },
  { minutes: 43200, label: "30 days" },
];
export const KINDS = [
  { kind: "cost", label: "Cost (USD) reaches" },
  { kind: "error_rate", label: "Error and timeout rate (%) reaches" },
  { kind: "latency", label: "p95 latency (ms) reaches" },
  { kind: "budget", label: "A budget's warning level or limit is reached" },
] as const;
export const BUDGET_LEVEL_LABELS = [
  { level: "any", label: "Warning and limit" },
  { level: "warning", label: "Warning level only" },
  { level: "limit", label: "Limit only" },
] as const;

const KIND_NAMES = KINDS.map((k) => k.kind) as ["cost", "error_rate", "latency", "budget"];
const MINUTES = WINDOWS.map((w) => w.minutes);

/** A new rule, without its secret (made by the caller). */
export type RuleInput = Omit<NewAlertRule, "secret">;

const name = nameField.pipe(
  z.string().min(1, "is required").max(100, "must be at most 100 characters"),
);
const webhookUrl = z.string().max(2000, "must be at most 2000 characters").refine(
  (s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol),
  "must be an http(s) URL",
);

interface Fields {
  name: string;
  kind: RuleInput["kind"];
  threshold?: number;
  window_minutes: number;
  min_calls: number;
  budget_level: RuleInput["budgetLevel"];
  webhook_url: string;
  format: RuleInput["format"];
}

/** A budget rule needs no threshold; the others do (an error rate at most 100 %). */
function thresholdChecked(f: Fields, ctx: z.RefinementCtx): void {
  const problem = (message: string) =>
    ctx.addIssue({ code: "custom", path: ["threshold"], message });
  if (f.kind === "budget") return;
  if (f.threshold === undefined) problem("is required for a cost, error_rate or latency rule");
  else if (f.kind === "error_rate" && f.threshold > 100) {
    problem("of an error rate must be at most 100 (%)");
  }
}

/** The checked fields as a rule is stored (a budget rule's threshold is 0). */
export function ruleInput(f: Fields): RuleInput {
  return {
    name: f.name,
    kind: f.kind,
    threshold: f.kind === "budget" ? 0 : f.threshold ?? 0,
    windowMinutes: f.window_minutes,
    minCalls: f.min_calls,
    budgetLevel: f.budget_level,
    webhookUrl: f.webhook_url,
    format: f.format,
  };
}

/** The /admin/alerts form's fields (trimmed, empty ones left out). */
export const RuleForm = z.object({
  name,
  kind: z.enum(KIND_NAMES, { message: "must be cost, error_rate, latency or budget" }),
  threshold: z.string().regex(/^\d{1,12}(\.\d{1,8})?$/, "must be a number, e.g. 5 or 2.5")
    .transform(Number).optional(),
  window_minutes: z.enum(MINUTES.map(String) as [string, ...string[]], {
    message: "must be one of the offered windows",
  }).default("60").transform(Number),
  min_calls: z.string().regex(/^\d{1,6}$/, "must be a whole number from 1").default("1")
    .transform(Number).refine((n) => n >= 1, "must be at least 1"),
  budget_level: z.enum(BUDGET_LEVELS, { message: "must be warning, limit or any" })
    .default("any"),
  webhook_url: webhookUrl,
  format: z.enum(ALERT_FORMATS, { message: "must be standard or slack" }),
}).superRefine(thresholdChecked);

/** POST /api/v1/admin/alerts/rules: a new rule. */
export const AlertRuleBody = z.object({
  name,
  kind: z.enum(KIND_NAMES),
  threshold: z.number().nonnegative().max(1e12).optional()
    .meta({ description: "USD (cost), percent (error_rate), ms (latency); not for budget" }),
  window_minutes: z.number().int().refine((n) => MINUTES.includes(n), {
    message: `must be one of ${MINUTES.join(", ")}`,
  }).default(60),
  min_calls: z.number().int().min(1).max(999_999).default(1),
  budget_level: z.enum(BUDGET_LEVELS).default("any")
    .meta({ description: "budget rules: which crossings are delivered" }),
  webhook_url: webhookUrl,
  format: z.enum(ALERT_FORMATS).default("standard"),
}).strict().superRefine(thresholdChecked);

/** POST /api/v1/admin/alerts/rules/:id: what may change on a rule. */
export const AlertRulePatch = z.object({ enabled: z.boolean() }).strict();

/** A new Standard Webhooks secret: whsec_ and 32 random bytes in base64. */
export function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
