/**
 * /admin/alerts (admins only, like every /admin page): the rules and their deliveries; adding a
 * rule (its signing secret shown once), sending a test, enabling, disabling and deleting one.
 * Form posts redirect back (303) with what was done; a refused one shows the page again with
 * why (400) and what was typed.
 */
import { type Context, Hono } from "hono";
import { z } from "zod/v4";
import { shownUrl } from "../../agents/alerts/alerts.ts";
import { thresholdText, windowText } from "../../agents/alerts/payload.ts";
import {
  ALERT_FORMATS,
  type AlertRule,
  attemptsOf,
  createAlertRule,
  deleteAlertRule,
  getAlertRule,
  listAlertRules,
  listDeliveries,
  setAlertRuleEnabled,
} from "../../db/alerts.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { AlertsPage, type RuleView } from "../../views/alerts/page.tsx";
import type { AppDeps } from "../deps.ts";
import { pageChrome } from "./chrome.ts";
import { formOf } from "./forms.ts";
import { nameField } from "./page_query.ts";

const WINDOWS = [
  { minutes: 15, label: "15 minutes" },
  { minutes: 60, label: "1 hour" },
  { minutes: 1440, label: "24 hours" },
  { minutes: 10080, label: "7 days" },
  { minutes: 43200, label: "30 days" },
];
const KINDS = [
  { kind: "cost", label: "Cost (USD) reaches" },
  { kind: "error_rate", label: "Error and timeout rate (%) reaches" },
  { kind: "latency", label: "p95 latency (ms) reaches" },
] as const;

const DONE: Record<string, string> = {
  test: "A test delivery was queued; it is listed below.",
  enable: "The rule was enabled.",
  disable: "The rule was disabled.",
  delete: "The rule and its deliveries were deleted.",
};

const NewRule = z.object({
  name: nameField.pipe(z.string().min(1, "is required").max(100, "must be at most 100 characters")),
  kind: z.enum(KINDS.map((k) => k.kind) as ["cost", "error_rate", "latency"], {
    message: "must be cost, error_rate or latency",
  }),
  threshold: z.string().regex(/^\d{1,12}(\.\d{1,8})?$/, "must be a number, e.g. 5 or 2.5")
    .transform(Number),
  window_minutes: z.enum(WINDOWS.map((w) => String(w.minutes)) as [string, ...string[]], {
    message: "must be one of the offered windows",
  }).transform(Number),
  min_calls: z.string().regex(/^\d{1,6}$/, "must be a whole number from 1").default("1")
    .transform(Number).refine((n) => n >= 1, "must be at least 1"),
  webhook_url: z.string().max(2000, "must be at most 2000 characters")
    .refine(
      (s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol),
      "must be an http(s) URL",
    ),
  format: z.enum(ALERT_FORMATS, { message: "must be standard or slack" }),
}).refine((r) => r.kind !== "error_rate" || r.threshold <= 100, {
  message: "threshold of an error rate must be at most 100 (%)",
  path: ["threshold"],
});

/** A new Standard Webhooks secret: whsec_ and 32 random bytes in base64. */
function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

function ruleView(r: AlertRule): RuleView {
  const { secret: _s, webhookUrl, ...rest } = r;
  const kind = KINDS.find((k) => k.kind === r.kind)?.label ?? r.kind;
  const min = r.kind === "cost" ? "" : `, at least ${r.minCalls} calls`;
  return {
    ...rest,
    webhook: shownUrl(webhookUrl),
    condition: `${kind.replace(/ \(.*\)/, "")} ${thresholdText(r.kind, r.threshold)} over ${
      windowText(r.windowMinutes)
    }${min}`,
    shownValue: r.lastValue === null ? "–" : thresholdText(r.kind, r.lastValue),
  };
}

export function alertPages(deps: AppDeps): Hono {
  const app = new Hono();
  const { sql } = deps.db;

  const page = async (
    c: Context,
    status: 200 | 201 | 400 | 404,
    more: {
      error?: string;
      created?: { name: string; secret: string };
      form?: Record<string, string>;
    } = {},
  ) => {
    const deliveries = await listDeliveries(sql);
    const attempts = await attemptsOf(sql, deliveries.map((d) => d.id));
    return c.html(
      AlertsPage({
        ...pageChrome(deps, c),
        rules: (await listAlertRules(sql)).map(ruleView),
        deliveries: deliveries.map((d) => ({ ...d, shownAttempts: attempts.get(d.id) ?? [] })),
        ok: DONE[c.req.query("done") ?? ""] ?? null,
        windows: WINDOWS,
        kinds: [...KINDS],
        ...more,
      }),
      status,
    );
  };

  app.get("/admin/alerts", (c) => page(c, 200));

  app.post("/admin/alerts", async (c) => {
    const form = await formOf(c);
    const parsed = NewRule.safeParse(
      Object.fromEntries(
        Object.entries(form).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== ""),
      ),
    );
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${String(i.path[0] ?? "form")} ${i.message}.`)
        .join(" ");
      return page(c, 400, { error: message, form });
    }
    const r = parsed.data;
    const secret = newSecret();
    await createAlertRule(sql, {
      name: r.name,
      kind: r.kind,
      threshold: r.threshold,
      windowMinutes: r.window_minutes,
      minCalls: r.min_calls,
      budgetLevel: "any",
      webhookUrl: r.webhook_url,
      secret,
      format: r.format,
    });
    return page(c, 201, { created: { name: r.name, secret } });
  });

  const ruleAction =
    (what: string, run: (rule: AlertRule) => Promise<unknown>) => async (c: Context) => {
      const id = c.req.param("id") ?? "";
      const rule = UUID_RE.test(id) ? await getAlertRule(sql, id) : null;
      if (!rule) return page(c, 404, { error: "No such alert rule." });
      await run(rule);
      return c.redirect(`/admin/alerts?done=${what}`, 303);
    };
  app.post("/admin/alerts/:id/test", ruleAction("test", (r) => deps.alerts.sendTest(r)));
  app.post(
    "/admin/alerts/:id/enable",
    ruleAction("enable", (r) => setAlertRuleEnabled(sql, r.id, true)),
  );
  app.post(
    "/admin/alerts/:id/disable",
    ruleAction("disable", (r) => setAlertRuleEnabled(sql, r.id, false)),
  );
  app.post("/admin/alerts/:id/delete", ruleAction("delete", (r) => deleteAlertRule(sql, r.id)));

  return app;
}
