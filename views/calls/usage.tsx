/** The /calls page's filter form and its usage summary: totals and breakdowns. */
import type { UsagePeriod } from "../../agents/llm/usage_period.ts";
import type { UsageGroup, UsageReport } from "../../db/usage.ts";
import { formatCost, formatDuration, formatInt, formatTokens } from "../common/format.ts";
import { LLM_CALL_STATUSES } from "../../agents/spine/events.ts";
import { AnyFilter, Option, UserFilter, type UserOption } from "../common/filters.tsx";
import { type CallsFilterView, CostCell, PERIOD_LABEL } from "./shell.tsx";
import { ScrollTable } from "../common/table.tsx";

export function FilterForm(
  { filters: f, models, users }: {
    filters: CallsFilterView;
    models: string[];
    users: UserOption[] | null;
  },
) {
  return (
    <form class="panel calls-filters" method="get" action="/calls" role="search">
      <label>
        <span>Period</span>
        <select name="period">
          {(Object.keys(PERIOD_LABEL) as UsagePeriod[]).map((p) => (
            <Option key={p} value={p} label={PERIOD_LABEL[p]} selected={p === f.period} />
          ))}
        </select>
      </label>
      <AnyFilter name="status" label="Status" choices={LLM_CALL_STATUSES} selected={f.status} />
      <label>
        <span>Model</span>
        <input name="model" value={f.model} list="calls-models" placeholder="any" size={18} />
        <datalist id="calls-models">
          {models.map((m) => <Option key={m} value={m} />)}
        </datalist>
      </label>
      <UserFilter users={users} selected={f.userId} />
      <label class="f-run">
        <span>Run id</span>
        <input name="run_id" value={f.runId} placeholder="any run (uuid)" size={36} />
      </label>
      <label>
        <span>Agent</span>
        <input name="agent" value={f.agent} placeholder="any" size={14} />
      </label>
      {f.conversationId
        ? <input type="hidden" name="conversation_id" value={f.conversationId} />
        : null}
      {f.from ? <input type="hidden" name="from" value={f.from} /> : null}
      {f.to ? <input type="hidden" name="to" value={f.to} /> : null}
      {f.limit ? <input type="hidden" name="limit" value={String(f.limit)} /> : null}
      <div class="calls-filter-actions">
        <button type="submit" class="btn btn-primary">Apply</button>
        <a class="btn" href="/calls">Clear</a>
      </div>
    </form>
  );
}

export function UsageTotalsView({ report }: { report: UsageReport }) {
  const t = report.totals;
  const noTokens = t.callsWithoutTokens
    ? `${formatInt(t.callsWithoutTokens)} without token counts`
    : undefined;
  return (
    <dl class="calls-stats" id="calls-totals">
      <Stat name="calls" label="Calls" value={formatInt(t.calls)} />
      <Stat name="input" label="Input tokens" value={formatTokens(t.inputTokens)} note={noTokens} />
      <Stat name="output" label="Output tokens" value={formatTokens(t.outputTokens)} />
      <Stat
        name="cost"
        label="Cost"
        value={formatCost(t.costUsd)}
        unknown={t.costUsd === null}
        note={t.callsWithoutCost
          ? `${formatInt(t.callsWithoutCost)} call${t.callsWithoutCost === 1 ? "" : "s"} unpriced`
          : undefined}
      />
      <Stat
        name="unpriced"
        label="Unpriced"
        value={t.unpricedTokens ? `${formatTokens(t.unpricedTokens)} tokens` : "none"}
        unknown={t.unpricedTokens > 0}
        note={t.unpricedTokens ? "not in the cost: their models have no price" : undefined}
      />
      <Stat name="errors" label="Errors" value={formatInt(t.errors)} bad={t.errors > 0} />
      <Stat name="timeouts" label="Timeouts" value={formatInt(t.timeouts)} bad={t.timeouts > 0} />
      <Stat name="cancelled" label="Cancelled" value={formatInt(t.cancelled)} />
      <Stat name="latency" label="Median latency" value={formatDuration(t.p50LatencyMs)} />
      <Stat name="ttft" label="Median TTFT" value={formatDuration(t.p50TtftMs)} />
    </dl>
  );
}

export function Stat(
  p: {
    name: string;
    label: string;
    value: string;
    note?: string;
    unknown?: boolean;
    bad?: boolean;
  },
) {
  return (
    <div class={p.bad ? "stat stat-bad" : "stat"} data-stat={p.name}>
      <dt>{p.label}</dt>
      <dd class={p.unknown ? "unknown" : undefined}>
        {p.value}
        {p.note ? <span class="stat-note">{p.note}</span> : null}
      </dd>
    </div>
  );
}

/** hono/jsx would print a `key` on an element as an attribute: list items are components. */
export function BreakdownTable(
  p: { title: string; label: string; rows: (UsageGroup & { name: string; href?: string })[] },
) {
  const id = `breakdown-${p.label.toLowerCase()}`;
  return (
    <section class="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{p.title}</h2>
      {p.rows.length
        ? (
          <ScrollTable
            id={id}
            head={
              <>
                <th scope="col">{p.label}</th>
                <th scope="col" class="num">Calls</th>
                <th scope="col" class="num">In</th>
                <th scope="col" class="num">Out</th>
                <th scope="col" class="num">Cost</th>
              </>
            }
          >
            {p.rows.map((r) => <BreakdownRow key={r.name} row={r} />)}
          </ScrollTable>
        )
        : <p class="empty-hint">No calls in this period.</p>}
    </section>
  );
}

export function BreakdownRow({ row: r }: { row: UsageGroup & { name: string; href?: string } }) {
  return (
    <tr>
      <th scope="row" class="mono">{r.href ? <a href={r.href}>{r.name}</a> : r.name}</th>
      <td class="num">{formatInt(r.calls)}</td>
      <td class="num">{formatTokens(r.inputTokens)}</td>
      <td class="num">{formatTokens(r.outputTokens)}</td>
      <CostCell usd={r.costUsd} />
    </tr>
  );
}
