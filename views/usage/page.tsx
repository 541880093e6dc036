/**
 * GET /usage: the usage dashboard. Headline figures, then one chart per question — cost per
 * bucket stacked by model, the unpriced calls (their cost is unknown, never $0), tokens, calls by
 * status, error/timeout/cancel rates, latency and time to first token (p50/p95), and the
 * conversations, users (admins) and agents that cost most — each with a table of the same
 * numbers beside it, each bar a link to the calls behind it on /calls.
 */
import type {
  CostCell,
  LatencyCell,
  StatusCell,
  TokensCell,
  TopEntry,
} from "../../db/usage_dashboard.ts";
import { LLM_CALL_STATUSES } from "../../agents/spine/events.ts";
import { formatCost, formatDuration, formatInt, formatTokens } from "../common/format.ts";
import { renderDocument } from "../common/layout.tsx";
import { type PageChrome, PageShell } from "../common/chrome.tsx";
import { callsUrl } from "../calls/list.tsx";
import type { CallsFilterView } from "../calls/shell.tsx";
import { Stat } from "../calls/usage.tsx";
import { AnyFilter, Option, UserFilter, type UserOption } from "../common/filters.tsx";
import {
  type BucketView,
  Lines,
  RankBars,
  type RankRow,
  type SeriesView,
  StackedBars,
} from "./charts.tsx";
import {
  bucketLabel,
  bucketStarts,
  DASHBOARD_PERIOD_LABEL,
  DASHBOARD_PERIODS,
  type DashboardPeriod,
  type DashboardRange,
  nextBucket,
} from "./range.ts";

/** The filters as the form shows them ("" = any). */
export interface UsageFilterView {
  period: DashboardPeriod;
  userId: string;
  agent: string;
  model: string;
}

export interface UsageData {
  cost: CostCell[];
  tokens: TokensCell[];
  status: StatusCell[];
  latency: LatencyCell[];
  topConversations: TopEntry[];
  /** Admins only (a member's would be themselves); null for members. */
  topUsers: TopEntry[] | null;
  topAgents: TopEntry[];
}

export interface UsagePageProps extends PageChrome {
  filters: UsageFilterView;
  range: DashboardRange;
  /** Admins: everyone they can filter by; members: null. */
  users: UserOption[] | null;
  choices: { models: string[]; agents: string[] };
  data: UsageData;
}

export function UsagePage(p: UsagePageProps): string {
  return renderDocument(
    <PageShell {...p} title="Usage · Glassbox" current="usage">
      <UsageBody {...p} />
    </PageShell>,
  );
}

const percent = (v: number) => `${Math.round(v * 10) / 10}%`;
const STATUS_LABEL: Record<string, string> = {
  ok: "OK",
  error: "Error",
  timeout: "Timeout",
  cancelled: "Cancelled",
};

function UsageBody(p: UsagePageProps) {
  const f = p.filters;
  const starts = bucketStarts(p.range);
  const buckets: BucketView[] = starts.map((t) => ({
    key: t.toISOString(),
    label: bucketLabel(t, p.range.bucket),
  }));
  const index = new Map(starts.map((t, i) => [t.getTime(), i]));
  const at = (d: Date) => index.get(d.getTime());
  const empty = () => buckets.map(() => ({} as Record<string, number | null>));

  // /calls for one bucket (or the whole range), with the page's filters and the mark's own.
  const base: Partial<CallsFilterView> = { userId: f.userId, agent: f.agent, model: f.model };
  const bucketRange = (b: BucketView | null) => {
    if (!b) return { from: p.range.from.toISOString(), to: p.range.to.toISOString() };
    const start = new Date(b.key);
    const from = start < p.range.from ? p.range.from : start;
    return { from: from.toISOString(), to: nextBucket(start, p.range.bucket).toISOString() };
  };
  const calls = (b: BucketView | null, more: Partial<CallsFilterView> = {}) =>
    callsUrl({ ...base, ...bucketRange(b), ...more });

  // Cost and unpriced calls by model.
  const models = [...new Set(p.data.cost.map((c) => c.model))];
  const costByModel = new Map<string, number>();
  for (const c of p.data.cost) {
    costByModel.set(c.model, (costByModel.get(c.model) ?? 0) + (c.costUsd ?? 0));
  }
  models.sort((a, b) =>
    (costByModel.get(b) ?? 0) - (costByModel.get(a) ?? 0) || a.localeCompare(b)
  );
  const modelSeries: SeriesView[] = models.map((m, i) => ({
    key: m,
    label: m,
    cls: `series-${i % 8}`,
  }));
  const cost = empty();
  const unpriced = empty();
  const allUnpriced = new Set<string>();
  for (const c of p.data.cost) {
    const i = at(c.bucket);
    if (i === undefined) continue;
    cost[i][c.model] = c.costUsd;
    if (c.unpricedCalls) unpriced[i][c.model] = c.unpricedCalls;
    if (c.costUsd === null) allUnpriced.add(`${i}|${c.model}`);
  }
  const unpricedSeries = modelSeries.filter((s) =>
    p.data.cost.some((c) => c.model === s.key && c.unpricedCalls > 0)
  );

  // Totals for the headline figures.
  const sum = <T,>(xs: T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);
  const totalCalls = sum(p.data.status, (s) => s.calls);
  const pricedCost = p.data.cost.some((c) => c.costUsd !== null)
    ? sum(p.data.cost, (c) => c.costUsd ?? 0)
    : null;
  const unpricedCalls = sum(p.data.cost, (c) => c.unpricedCalls);
  const failed = sum(
    p.data.status.filter((s) => s.status === "error" || s.status === "timeout"),
    (s) => s.calls,
  );

  // Tokens.
  const tokens = empty();
  for (const t of p.data.tokens) {
    const i = at(t.bucket);
    if (i === undefined) continue;
    tokens[i].input = t.inputTokens;
    tokens[i].output = t.outputTokens;
  }
  const withoutTokens = sum(p.data.tokens, (t) => t.callsWithoutTokens);

  // Calls by status, and rates.
  const statusSeries: SeriesView[] = LLM_CALL_STATUSES.map((s) => ({
    key: s,
    label: STATUS_LABEL[s] ?? s,
    cls: `status-${s}`,
  }));
  const byStatus = empty();
  for (const s of p.data.status) {
    const i = at(s.bucket);
    if (i !== undefined) byStatus[i][s.status] = s.calls;
  }
  const rateSeries = statusSeries.filter((s) => s.key !== "ok");
  const rates = byStatus.map((row) => {
    const n = sum(Object.values(row), (v) => v ?? 0);
    return Object.fromEntries(
      rateSeries.map((s) => [s.key, n ? (100 * (row[s.key] ?? 0)) / n : null]),
    );
  });

  // Latency and TTFT.
  const latency = empty();
  const ttft = empty();
  for (const l of p.data.latency) {
    const i = at(l.bucket);
    if (i === undefined) continue;
    latency[i] = { p50: l.latencyP50, p95: l.latencyP95 };
    ttft[i] = { p50: l.ttftP50, p95: l.ttftP95 };
  }
  const pct: SeriesView[] = [
    { key: "p50", label: "p50", cls: "series-0" },
    { key: "p95", label: "p95", cls: "series-3" },
  ];
  const okCalls = (b: BucketView) => calls(b, { status: "ok" });

  const rank = (entries: TopEntry[], href: (e: TopEntry) => string): RankRow[] =>
    entries.map((e) => ({
      key: e.key ?? "(unnamed)",
      label: e.label,
      value: e.costUsd,
      calls: e.calls,
      unpricedCalls: e.unpricedCalls,
      href: href(e),
    }));

  return (
    <>
      <div class="calls-head">
        <h1>Usage</h1>
        <p class="calls-sub">
          What the LLM calls{p.users ? "" : " made for you"} cost and how they went, per{" "}
          {p.range.bucket} (UTC). Every bar leads to its calls.
        </p>
      </div>
      <UsageFilters filters={f} users={p.users} choices={p.choices} />
      <section class="calls-usage" aria-labelledby="h-usage-totals">
        <h2 id="h-usage-totals" class="calls-h2">
          {DASHBOARD_PERIOD_LABEL[f.period]}
          <span class="muted">
            {` · ${p.range.from.toISOString().slice(0, 16).replace("T", " ")} to ${
              p.range.to.toISOString().slice(0, 16).replace("T", " ")
            } UTC`}
          </span>{" "}
          <a href={calls(null)} id="usage-calls-link">See these calls</a>
        </h2>
        <dl class="calls-stats" id="usage-totals">
          <Stat
            name="cost"
            label="Cost (priced calls)"
            value={formatCost(pricedCost)}
            unknown={pricedCost === null}
          />
          <Stat
            name="unpriced"
            label="Unpriced calls"
            value={formatInt(unpricedCalls)}
            note={unpricedCalls ? "cost unknown, not $0" : undefined}
            bad={unpricedCalls > 0}
          />
          <Stat name="calls" label="Calls" value={formatInt(totalCalls)} />
          <Stat
            name="input"
            label="Input tokens"
            value={formatTokens(sum(p.data.tokens, (t) => t.inputTokens))}
          />
          <Stat
            name="output"
            label="Output tokens"
            value={formatTokens(sum(p.data.tokens, (t) => t.outputTokens))}
          />
          <Stat
            name="failed"
            label="Errors and timeouts"
            value={totalCalls ? percent((100 * failed) / totalCalls) : "–"}
            bad={failed > 0}
          />
        </dl>
      </section>
      <div class="usage-charts">
        <StackedBars
          id="chart-cost"
          title="Cost by model"
          note="Sum of the known costs. Calls without a price are in the next chart, never counted as $0."
          format={formatCost}
          buckets={buckets}
          series={modelSeries}
          values={cost}
          href={(b, s) => calls(b, { model: s.key })}
          missing={(i, s) => (allUnpriced.has(`${i}|${s.key}`) ? "unknown" : null)}
        />
        <StackedBars
          id="chart-unpriced"
          title="Unpriced calls"
          note={unpricedCalls
            ? `${formatInt(unpricedCalls)} calls to models without a price: their cost is unknown.`
            : "Every call in this period has a price."}
          format={formatInt}
          buckets={buckets}
          series={unpricedSeries}
          values={unpriced}
          href={(b, s) => calls(b, { model: s.key })}
        />
        <StackedBars
          id="chart-tokens"
          title="Tokens"
          note={withoutTokens
            ? `${formatInt(withoutTokens)} calls reported no token counts.`
            : "Input and output tokens as the providers reported them."}
          format={formatTokens}
          buckets={buckets}
          series={[
            { key: "input", label: "Input", cls: "series-0" },
            { key: "output", label: "Output", cls: "series-1" },
          ]}
          values={tokens}
          href={(b) => calls(b)}
        />
        <StackedBars
          id="chart-calls"
          title="Calls by outcome"
          format={formatInt}
          buckets={buckets}
          series={statusSeries}
          values={byStatus}
          href={(b, s) => calls(b, { status: s.key as CallsFilterView["status"] })}
        />
        <Lines
          id="chart-rates"
          title="Error, timeout and cancel rates"
          note="Share of the calls in each period."
          format={percent}
          buckets={buckets}
          series={rateSeries}
          values={rates}
          href={(b, s) => calls(b, { status: s.key as CallsFilterView["status"] })}
        />
        <Lines
          id="chart-latency"
          title="Latency"
          note="Duration of successful calls."
          format={formatDuration}
          buckets={buckets}
          series={pct}
          values={latency}
          href={okCalls}
        />
        <Lines
          id="chart-ttft"
          title="Time to first token"
          note="Successful streamed calls, from the request to the first chunk."
          format={formatDuration}
          buckets={buckets}
          series={pct}
          values={ttft}
          href={okCalls}
        />
        <RankBars
          id="chart-top-conversations"
          title="Top conversations by cost"
          format={formatCost}
          empty="No conversations in this period."
          rows={rank(p.data.topConversations, (e) => calls(null, { conversationId: e.key ?? "" }))}
        />
        {p.data.topUsers
          ? (
            <RankBars
              id="chart-top-users"
              title="Top users by cost"
              format={formatCost}
              empty="No users in this period."
              rows={rank(p.data.topUsers, (e) => calls(null, { userId: e.key ?? "" }))}
            />
          )
          : null}
        <RankBars
          id="chart-top-agents"
          title="Top agents by cost"
          format={formatCost}
          empty="No agents in this period."
          rows={rank(p.data.topAgents, (e) => calls(null, e.key ? { agent: e.key } : {}))}
        />
      </div>
    </>
  );
}

function UsageFilters(
  p: {
    filters: UsageFilterView;
    users: UserOption[] | null;
    choices: { models: string[]; agents: string[] };
  },
) {
  const f = p.filters;
  // A chosen value stays offered even when the period has no calls for it.
  const withCurrent = (xs: string[], v: string) => (v && !xs.includes(v) ? [v, ...xs] : xs);
  return (
    <form class="panel calls-filters" method="get" action="/usage" role="search">
      <label>
        <span>Period</span>
        <select name="period">
          {DASHBOARD_PERIODS.map((x) => (
            <Option key={x} value={x} label={DASHBOARD_PERIOD_LABEL[x]} selected={x === f.period} />
          ))}
        </select>
      </label>
      <UserFilter users={p.users} selected={f.userId} />
      <AnyFilter
        name="agent"
        label="Agent"
        choices={withCurrent(p.choices.agents, f.agent)}
        selected={f.agent}
      />
      <AnyFilter
        name="model"
        label="Model"
        choices={withCurrent(p.choices.models, f.model)}
        selected={f.model}
      />
      <div class="calls-filter-actions">
        <button type="submit" class="btn btn-primary">Apply</button>
        <a class="btn" href="/usage">Clear</a>
      </div>
    </form>
  );
}
