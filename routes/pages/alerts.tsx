/**
 * /admin/alerts (admins only, like every /admin page): the rules and their deliveries; adding a
 * rule (its signing secret shown once), sending a test, enabling, disabling and deleting one.
 * Form posts redirect back (303) with what was done; a refused one shows the page again with
 * why (400) and what was typed.
 */
import { type Context, Hono } from "hono";
import { shownUrl } from "../../agents/alerts/alerts.ts";
import { thresholdText } from "../../agents/alerts/payload.ts";
import {
  type AlertRule,
  attemptsOf,
  getAlertRule,
  listAlertRules,
  listDeliveries,
} from "../../db/alerts.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { AlertsPage, type RuleView } from "../../views/alerts/page.tsx";
import { createRule, removeRule, ruleCondition, setRuleEnabled } from "../alert_admin.ts";
import { BUDGET_LEVEL_LABELS, KINDS, RuleForm, ruleInput, WINDOWS } from "../alert_rules.ts";
import type { AppDeps } from "../deps.ts";
import { pageChrome } from "./chrome.ts";
import { formOf } from "./forms.ts";

const DONE: Record<string, string> = {
  test: "A test delivery was queued; it is listed below.",
  enable: "The rule was enabled.",
  disable: "The rule was disabled.",
  delete: "The rule and its deliveries were deleted.",
};

function ruleView(r: AlertRule): RuleView {
  const { secret: _s, webhookUrl, ...rest } = r;
  return {
    ...rest,
    webhook: shownUrl(webhookUrl),
    condition: ruleCondition(r),
    shownValue: r.lastValue === null
      ? "–"
      : r.kind === "budget"
      ? `${Math.floor(r.lastValue)}%`
      : thresholdText(r.kind, r.lastValue),
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
        budgetLevels: [...BUDGET_LEVEL_LABELS],
        ...more,
      }),
      status,
    );
  };

  app.get("/admin/alerts", (c) => page(c, 200));

  app.post("/admin/alerts", async (c) => {
    const form = await formOf(c);
    const parsed = RuleForm.safeParse(
      Object.fromEntries(
        Object.entries(form).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== ""),
      ),
    );
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `${String(i.path[0] ?? "form")} ${i.message}.`)
        .join(" ");
      return page(c, 400, { error: message, form });
    }
    const { rule, secret } = await createRule(deps, c, ruleInput(parsed.data));
    return page(c, 201, { created: { name: rule.name, secret } });
  });

  const ruleAction =
    (what: string, run: (rule: AlertRule, c: Context) => Promise<unknown>) =>
    async (
      c: Context,
    ) => {
      const id = c.req.param("id") ?? "";
      const rule = UUID_RE.test(id) ? await getAlertRule(sql, id) : null;
      if (!rule) return page(c, 404, { error: "No such alert rule." });
      await run(rule, c);
      return c.redirect(`/admin/alerts?done=${what}`, 303);
    };
  app.post("/admin/alerts/:id/test", ruleAction("test", (r) => deps.alerts.sendTest(r)));
  app.post(
    "/admin/alerts/:id/enable",
    ruleAction("enable", (r, c) => setRuleEnabled(deps, c, r, true)),
  );
  app.post(
    "/admin/alerts/:id/disable",
    ruleAction("disable", (r, c) => setRuleEnabled(deps, c, r, false)),
  );
  app.post("/admin/alerts/:id/delete", ruleAction("delete", (r, c) => removeRule(deps, c, r)));

  return app;
}
