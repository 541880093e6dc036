/**
 * Cost control on the chat page: the run's live cost beside the budget it counts against
 * (glassbox.run_cost replaces it as calls start and finish), and the banner that a budget's
 * warning level or limit was reached (glassbox.budget_warning, sent once per crossing).
 */
import type {
  BudgetStatusValue,
  BudgetWarningValue,
  RunCostValue,
} from "../../agents/spine/events.ts";
import { formatCost, formatInt, formatTokens } from "../common/format.ts";
import { ids } from "../run/dom_ids.ts";

export function LiveCost({ cost }: { cost: RunCostValue | null }) {
  if (!cost) {
    return (
      <p class="live-cost empty-hint" id={ids.liveCost}>
        The run's cost appears here as its LLM calls finish.
      </p>
    );
  }
  const f = cost.inFlight;
  return (
    <dl class="live-cost" id={ids.liveCost} aria-label="Cost so far">
      <div>
        <dt>Cost so far</dt>
        <dd data-cost={String(cost.costUsd)}>
          {formatCost(cost.costUsd)}
          {cost.unpricedTokens
            ? <span class="unknown">+ {formatTokens(cost.unpricedTokens)} unpriced tokens</span>
            : null}
        </dd>
      </div>
      <div>
        <dt>Tokens</dt>
        <dd>
          {formatInt(cost.inputTokens)} in · {formatInt(cost.outputTokens)} out · {formatInt(
            cost.llmCalls,
          )} calls
        </dd>
      </div>
      {f.calls
        ? (
          <div class="live-cost-inflight">
            <dt>In flight</dt>
            <dd>
              {f.calls} call{f.calls === 1 ? "" : "s"}, up to{" "}
              {f.usd === null ? `${formatTokens(f.tokens)} tokens (unpriced)` : formatCost(f.usd)}
            </dd>
          </div>
        )
        : null}
      {cost.budget ? <BudgetLine budget={cost.budget} /> : null}
    </dl>
  );
}

function BudgetLine({ budget: b }: { budget: BudgetStatusValue }) {
  const spent = b.metric === "usd" ? formatCost(b.spent) : `${formatTokens(b.spent)} tokens`;
  const pct = b.limit > 0 ? Math.min(100, Math.floor((100 * b.spent) / b.limit)) : 100;
  return (
    <div class="live-cost-budget">
      <dt>Budget</dt>
      <dd>
        {spent} of {b.label} ({pct}%)
        {b.resetAt ? <span class="muted">resets {new Date(b.resetAt).toISOString()}</span> : null}
      </dd>
    </div>
  );
}

/** Empty until a warning arrives; the newest replaces the one before. */
export function BudgetBanner({ warning }: { warning: BudgetWarningValue | null }) {
  if (!warning) return <div class="budget-banner" id={ids.budgetBanner} hidden></div>;
  const reached = warning.threshold === "limit";
  return (
    <div
      class={reached ? "budget-banner budget-limit" : "budget-banner"}
      id={ids.budgetBanner}
      role="alert"
    >
      <strong>{reached ? "Budget reached." : "Budget warning."}</strong>{" "}
      <span>{warning.message}</span>
    </div>
  );
}
