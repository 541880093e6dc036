/**
 * The admin alerts API (admins only; a key needs the admin scope): the rules — list, make (its
 * signing secret is in the answer, this once), read, enable or disable, delete, send a test —
 * and the latest deliveries with every attempt. Rule changes are audited, as on /admin/alerts.
 */
import { type Context, Hono } from "hono";
import { z } from "zod/v4";
import { isAdmin } from "../../auth/viewer.ts";
import { attemptsOf, getAlertRule, listAlertRules, listDeliveries } from "../../db/alerts.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { viewerOf } from "../access.ts";
import { createRule, deliveryJson, removeRule, ruleJson, setRuleEnabled } from "../alert_admin.ts";
import { AlertRuleBody, AlertRulePatch, ruleInput } from "../alert_rules.ts";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../errors.ts";
import { validJson, validQuery } from "../validate.ts";

export { AlertRuleBody, AlertRulePatch };
export const DeliveriesQuery = z.object({
  limit: z.string().regex(/^\d{1,3}$/, "must be a whole number from 1 to 500").default("100")
    .transform(Number).refine((n) => n >= 1 && n <= 500, "must be from 1 to 500"),
}).strict();

export function alertsApi(deps: AppDeps): Hono {
  const app = new Hono();
  const { sql } = deps.db;
  app.use("/admin/alerts/*", async (c, next) => {
    if (isAdmin(viewerOf(c))) return await next();
    return apiError(c, 403, "forbidden", "Admins only (with a key: the admin scope).");
  });

  const ruleOf = async (c: Context) => {
    const id = c.req.param("id") ?? "";
    return UUID_RE.test(id) ? await getAlertRule(sql, id) : null;
  };
  const notFound = (c: Context) =>
    apiError(c, 404, "not_found", `alert rule ${c.req.param("id")} not found`);

  app.get(
    "/admin/alerts/rules",
    async (c) => c.json({ rules: (await listAlertRules(sql)).map(ruleJson) }),
  );

  app.post("/admin/alerts/rules", validJson(AlertRuleBody), async (c) => {
    const { rule, secret } = await createRule(deps, c, ruleInput(c.req.valid("json")));
    return c.json({ rule: ruleJson(rule), secret }, 201);
  });

  app.get("/admin/alerts/rules/:id", async (c) => {
    const rule = await ruleOf(c);
    return rule ? c.json({ rule: ruleJson(rule) }) : notFound(c);
  });

  app.post("/admin/alerts/rules/:id", validJson(AlertRulePatch), async (c) => {
    const rule = await ruleOf(c);
    if (!rule) return notFound(c);
    await setRuleEnabled(deps, c, rule, c.req.valid("json").enabled);
    return c.json({ rule: ruleJson((await getAlertRule(sql, rule.id)) ?? rule) });
  });

  app.post("/admin/alerts/rules/:id/delete", async (c) => {
    const rule = await ruleOf(c);
    if (!rule || !(await removeRule(deps, c, rule))) return notFound(c);
    return c.body(null, 204);
  });

  app.post("/admin/alerts/rules/:id/test", async (c) => {
    const rule = await ruleOf(c);
    if (!rule) return notFound(c);
    return c.json({ delivery_id: await deps.alerts.sendTest(rule) });
  });

  app.get("/admin/alerts/deliveries", validQuery(DeliveriesQuery), async (c) => {
    const list = await listDeliveries(sql, c.req.valid("query").limit);
    const attempts = await attemptsOf(sql, list.map((d) => d.id));
    return c.json({ deliveries: list.map((d) => deliveryJson(d, attempts.get(d.id) ?? [])) });
  });

  return app;
}
