/**
 * The admin budgets API (admins only): GET /api/v1/admin/budgets (the budgets in force, the
 * unpriced policy, thresholds reached lately), POST /api/v1/admin/budgets (set one: a budget
 * spec), POST /api/v1/admin/budgets/:id/delete, POST /api/v1/admin/cost-settings
 * (`{"unpriced": "allow" | "tokens" | "refuse"}`).
 */
import { type Context, Hono } from "hono";
import { z } from "zod/v4";
import { UNPRICED_POLICIES } from "../../agents/budgets/budget.ts";
import { recentCrossings } from "../../db/budgets.ts";
import { isAdmin } from "../../auth/viewer.ts";
import { viewerOf } from "../access.ts";
import {
  BudgetInputError,
  budgetJson,
  budgetRows,
  removeBudget,
  saveBudget,
  setUnpriced,
} from "../budget_admin.ts";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../errors.ts";
import { validJson } from "../validate.ts";

/** A budget spec, checked in full by saveBudget (routes/budget_admin.ts). */
export const BudgetSpec = z.record(z.string(), z.unknown());
export const CostSettings = z.object({ unpriced: z.enum(UNPRICED_POLICIES) }).strict();

export function budgetsApi(deps: AppDeps): Hono {
  const app = new Hono();
  app.use("/admin/*", async (c, next) => {
    if (isAdmin(viewerOf(c))) return await next();
    return apiError(c, 403, "forbidden", "Admins only (with a key: the admin scope).");
  });

  const all = async (c: Context) =>
    c.json({
      budgets: (await budgetRows(deps)).map(budgetJson),
      unpriced: (await deps.budgets.current()).unpriced,
      crossings: (await recentCrossings(deps.db.sql)).map((x) => ({
        window: x.windowKey,
        threshold: x.threshold,
        run_id: x.runId,
        message: x.message,
        at: x.at,
      })),
    });

  app.get("/admin/budgets", all);

  app.post("/admin/budgets", validJson(BudgetSpec), async (c) => {
    try {
      const row = await saveBudget(deps, c, c.req.valid("json"));
      const shown = (await budgetRows(deps)).find((b) => b.id === row.id);
      return c.json({ budget: shown ? budgetJson(shown) : null });
    } catch (err) {
      if (err instanceof BudgetInputError) return apiError(c, 400, "invalid_body", err.message);
      throw err;
    }
  });

  app.post("/admin/budgets/:id/delete", async (c) => {
    const id = c.req.param("id");
    if (!(await removeBudget(deps, c, id))) {
      return apiError(c, 404, "not_found", `budget ${id} not found (configured budgets stay)`);
    }
    return c.body(null, 204);
  });

  app.post("/admin/cost-settings", validJson(CostSettings), async (c) => {
    await setUnpriced(deps, c, c.req.valid("json").unpriced);
    return await all(c);
  });

  return app;
}
