/**
 * What the budgets page and the admin budgets API share: the budgets in force as rows to show,
 * and the changes an admin makes (each audited, each seen by the next check at once).
 */
import type { Context } from "hono";
import {
  type Budget,
  budgetInput,
  budgetName,
  BudgetSpec,
  type UnpricedPolicy,
} from "../agents/budgets/budget.ts";
import { deleteBudget, setCostSetting, upsertBudget } from "../db/budgets.ts";
import { UNPRICED_KEY } from "../agents/budgets/checker.ts";
import { audit } from "../auth/audit.ts";
import { listUsers, userByEmail } from "../db/users.ts";
import { UUID_RE } from "../db/uuid.ts";
import { actorOf } from "./pages/account.tsx";
import type { AppDeps } from "./deps.ts";
import { check } from "./validate.ts";
import type { BudgetRowView } from "../views/budgets/page.tsx";

/** The budgets in force, named, with their subjects as people read them. */
export async function budgetRows(deps: AppDeps): Promise<BudgetRowView[]> {
  const { budgets } = await deps.budgets.current();
  const emails = new Map((await listUsers(deps.db.sql)).map((u) => [u.id, u.email ?? u.name]));
  return budgets.map((b) => ({ ...b, name: budgetName(b), subjectLabel: subjectLabel(b, emails) }));
}

function subjectLabel(b: Budget, emails: Map<string, string>): string {
  if (b.scope === "user") return b.subject ? emails.get(b.subject) ?? b.subject : "every user";
  if (b.scope === "agent") return b.subject ? `agent ${b.subject}` : "every agent";
  return b.scope === "global" ? "everyone together" : `every ${b.scope}`;
}

/** A refused change: the message says what to fix. */
export class BudgetInputError extends Error {}

/**
 * Sets (creates or replaces) a budget. A user budget's subject may be the user's id or email;
 * a user that does not exist is refused.
 */
export async function saveBudget(deps: AppDeps, c: Context, input: unknown) {
  const parsed = check(BudgetSpec, input);
  if (!parsed.ok) throw new BudgetInputError(parsed.message);
  const spec = parsed.value;
  if (spec.scope === "user" && spec.subject) {
    const user = UUID_RE.test(spec.subject)
      ? { id: spec.subject }
      : await userByEmail(deps.db.sql, spec.subject.trim().toLowerCase());
    const known = user && (await listUsers(deps.db.sql)).some((u) => u.id === user.id);
    if (!known) throw new BudgetInputError(`no user ${spec.subject}`);
    spec.subject = user.id;
  }
  const actor = actorOf(c, deps);
  const row = await upsertBudget(deps.db.sql, budgetInput(spec), actor.userId);
  deps.budgets.invalidate();
  await audit(deps.db.sql, actor, "budget_set", budgetName(row), {
    scope: row.scope,
    period: row.period,
    subject: row.subject,
    limit_usd: row.limitUsd,
    limit_tokens: row.limitTokens,
    warn_percent: row.warnPercent,
  });
  return row;
}

/** False when there is no such budget (configured budgets cannot be removed, only replaced). */
export async function removeBudget(deps: AppDeps, c: Context, id: string): Promise<boolean> {
  if (!UUID_RE.test(id) || !(await deleteBudget(deps.db.sql, id))) return false;
  deps.budgets.invalidate();
  await audit(deps.db.sql, actorOf(c, deps), "budget_removed", id);
  return true;
}

export async function setUnpriced(deps: AppDeps, c: Context, policy: UnpricedPolicy) {
  const actor = actorOf(c, deps);
  await setCostSetting(deps.db.sql, UNPRICED_KEY, policy, actor.userId);
  deps.budgets.invalidate();
  await audit(deps.db.sql, actor, "cost_setting_changed", UNPRICED_KEY, { value: policy });
}

/** A budget as the API shows it. */
export function budgetJson(b: BudgetRowView) {
  return {
    id: b.id,
    source: b.source,
    name: b.name,
    scope: b.scope,
    period: b.period,
    subject: b.subject,
    subject_label: b.subjectLabel,
    limit_usd: b.limitUsd,
    limit_tokens: b.limitTokens,
    warn_percent: b.warnPercent,
  };
}
