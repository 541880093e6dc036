/**
 * /admin/budgets: the budgets in force (from configuration, or set here, which replaces the
 * configured one of the same scope, period and subject), a form to set one, the policy for calls
 * to models without a price, and the thresholds crossed lately.
 */
import type { Budget, UnpricedPolicy } from "../../agents/budgets/budget.ts";
import type { CrossingRow } from "../../db/budgets.ts";
import { type PageChrome, PageShell } from "../common/chrome.tsx";
import { formatCost, formatInt } from "../common/format.ts";
import { renderDocument } from "../common/layout.tsx";
import { ActionButton, PageHead, type PageNotes, When } from "../accounts/parts.tsx";
import { ScrollTable } from "../common/table.tsx";

export interface BudgetRowView extends Budget {
  /** "daily budget", "run budget" … */
  name: string;
  /** Who it is for: "every user", a user's email, an agent's name. */
  subjectLabel: string;
}

export const UNPRICED_LABEL: Record<UnpricedPolicy, string> = {
  allow: "Allow: run them, unchecked by budgets",
  tokens: "Count tokens only: token limits apply, USD limits cannot",
  refuse: "Refuse: never send a call to a model without a price",
};

export function BudgetsPage(
  p: PageChrome & PageNotes & {
    budgets: BudgetRowView[];
    unpriced: UnpricedPolicy;
    crossings: CrossingRow[];
  },
): string {
  const now = p.now ?? Date.now();
  return renderDocument(
    <PageShell {...p} title="Budgets · Glassbox" current="budgets">
      <PageHead title="Budgets" ok={p.ok} error={p.error}>
        Limits on spend in USD and tokens. Every LLM call is checked before it is sent (its worst
        case) and while it streams; a run that reaches a limit stops, keeping its answer so far.
      </PageHead>
      <section class="panel" aria-labelledby="h-budgets">
        <h2 id="h-budgets">In force</h2>
        {p.budgets.length === 0
          ? <p class="calls-empty">No budgets: spend is not limited.</p>
          : (
            <ScrollTable
              id="budgets-table"
              head={
                <>
                  <th scope="col">Budget</th>
                  <th scope="col">For</th>
                  <th scope="col" class="num">USD</th>
                  <th scope="col" class="num">Tokens</th>
                  <th scope="col" class="num">Warn at</th>
                  <th scope="col">From</th>
                  <th scope="col"></th>
                </>
              }
            >
              {p.budgets.map((b) => <BudgetRow key={b.name + b.subject} b={b} />)}
            </ScrollTable>
          )}
      </section>
      <section class="panel" aria-labelledby="h-set">
        <h2 id="h-set">Set a budget</h2>
        <form method="post" action="/admin/budgets" class="stack-form" id="budget-form">
          <label>
            <span>Scope</span>
            <select name="scope">
              <option value="user">Each user (or one)</option>
              <option value="run">Each run</option>
              <option value="conversation">Each conversation</option>
              <option value="agent">Each agent (or one)</option>
              <option value="global">Everyone together</option>
            </select>
          </label>
          <label>
            <span>Period (user, agent, global)</span>
            <select name="period">
              <option value="day">Day (UTC)</option>
              <option value="month">Month (UTC)</option>
            </select>
          </label>
          <label>
            <span>Only for (a user's email or an agent's name; empty: every one)</span>
            <input name="subject" maxlength={200} />
          </label>
          <label>
            <span>Limit in USD</span>
            <input name="limit_usd" inputmode="decimal" placeholder="e.g. 5" />
          </label>
          <label>
            <span>Limit in tokens</span>
            <input name="limit_tokens" inputmode="numeric" placeholder="e.g. 1000000" />
          </label>
          <label>
            <span>Warn at (% of the limit)</span>
            <input name="warn_percent" inputmode="numeric" value="80" />
          </label>
          <button type="submit" class="btn btn-primary">Save</button>
        </form>
      </section>
      <section class="panel" aria-labelledby="h-unpriced">
        <h2 id="h-unpriced">Calls to models without a price</h2>
        <form method="post" action="/admin/cost-settings" class="stack-form" id="unpriced-form">
          {(Object.keys(UNPRICED_LABEL) as UnpricedPolicy[]).map((k) => (
            <label key={k} class="radio">
              <input type="radio" name="unpriced" value={k} checked={k === p.unpriced} />
              <span>{UNPRICED_LABEL[k]}</span>
            </label>
          ))}
          <button type="submit" class="btn">Save</button>
        </form>
      </section>
      <section class="panel" aria-labelledby="h-crossings">
        <h2 id="h-crossings">Thresholds reached</h2>
        {p.crossings.length === 0 ? <p class="calls-empty">None yet.</p> : (
          <ul class="crossings">
            {p.crossings.map((c) => (
              <li key={c.windowKey + c.threshold}>
                <When at={c.at} now={now} /> <strong>{c.threshold}</strong> {c.message}
                {c.runId ? <a href={`/calls?run_id=${c.runId}`}>run</a> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </PageShell>,
  );
}

function BudgetRow({ b }: { b: BudgetRowView }) {
  return (
    <tr>
      <th scope="row">{b.name}</th>
      <td>{b.subjectLabel}</td>
      <td class="num">{b.limitUsd === null ? "—" : formatCost(b.limitUsd)}</td>
      <td class="num">{b.limitTokens === null ? "—" : formatInt(b.limitTokens)}</td>
      <td class="num">{b.warnPercent}%</td>
      <td>{b.source === "config" ? "configuration" : "set here"}</td>
      <td>
        {b.id
          ? (
            <ActionButton
              action={`/admin/budgets/${b.id}/delete`}
              label="Remove"
              danger
              confirm="Remove this budget?"
            />
          )
          : null}
      </td>
    </tr>
  );
}
