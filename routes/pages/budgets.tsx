/** /admin/budgets: the budgets page (admins only), its forms posting back to it. */
import { type Context, Hono } from "hono";
import { UNPRICED_POLICIES, type UnpricedPolicy } from "../../agents/budgets/budget.ts";
import { recentCrossings } from "../../db/budgets.ts";
import { BudgetsPage } from "../../views/budgets/page.tsx";
import {
  BudgetInputError,
  budgetRows,
  removeBudget,
  saveBudget,
  setUnpriced,
} from "../budget_admin.ts";
import type { AppDeps } from "../deps.ts";
import { pageChrome } from "./chrome.ts";
import { formOf } from "./forms.ts";
import { adminOnly } from "./problem.ts";

const DONE: Record<string, string> = {
  saved: "The budget was saved; the next LLM call is checked against it.",
  removed: "The budget was removed.",
  unpriced: "The policy for unpriced calls was saved.",
};

export function budgetsPages(deps: AppDeps): Hono {
  const app = new Hono();
  for (const path of ["/admin/budgets", "/admin/budgets/*", "/admin/cost-settings"]) {
    app.use(path, adminOnly(deps));
  }

  const page = async (c: Context, status: 200 | 400 | 404, error?: string) =>
    c.html(
      BudgetsPage({
        ...pageChrome(deps, c),
        budgets: await budgetRows(deps),
        unpriced: (await deps.budgets.current()).unpriced,
        crossings: await recentCrossings(deps.db.sql, 20),
        ok: DONE[c.req.query("done") ?? ""] ?? null,
        error,
      }),
      status,
    );
  const done = (c: Context, what: string) => c.redirect(`/admin/budgets?done=${what}`, 303);

  app.get("/admin/budgets", (c) => page(c, 200));

  app.post("/admin/budgets", async (c) => {
    const f = await formOf(c);
    const number = (v: string | undefined) => (v?.trim() ? Number(v.trim()) : null);
    const periodic = !["run", "conversation"].includes(f.scope ?? "");
    try {
      await saveBudget(deps, c, {
        scope: f.scope,
        period: periodic ? f.period : null,
        subject: f.subject?.trim() ?? "",
        limit_usd: number(f.limit_usd),
        limit_tokens: number(f.limit_tokens),
        warn_percent: number(f.warn_percent) ?? 80,
      });
    } catch (err) {
      if (err instanceof BudgetInputError) return await page(c, 400, err.message);
      throw err;
    }
    return done(c, "saved");
  });

  app.post("/admin/budgets/:id/delete", async (c) => {
    if (!(await removeBudget(deps, c, c.req.param("id")))) {
      return await page(c, 404, "There is no such budget (configured budgets stay).");
    }
    return done(c, "removed");
  });

  app.post("/admin/cost-settings", async (c) => {
    const policy = (await formOf(c)).unpriced as UnpricedPolicy;
    if (!UNPRICED_POLICIES.includes(policy)) {
      return await page(c, 400, "Choose allow, count tokens only or refuse.");
    }
    await setUnpriced(deps, c, policy);
    return done(c, "unpriced");
  });

  return app;
}
