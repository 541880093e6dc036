/** GET /calls: usage totals for the period, breakdowns by model and agent, the filtered list. */
import { BreakdownTable, FilterForm, UsageTotalsView } from "./usage.tsx";
import type { LlmCallSummary } from "../../db/llm_calls.ts";
import { formatCost, formatDuration, formatTokens, formatWhen } from "../common/format.ts";
import { renderDocument } from "../common/layout.tsx";
import {
  type CallsFilterView,
  type CallsPageProps,
  CallsShell,
  CostCell,
  ModelName,
  PERIOD_LABEL,
  StatusBadge,
  ttftMs,
} from "./shell.tsx";

/** The whole /calls document. */
export function CallsPage(props: CallsPageProps): string {
  return renderDocument(
    <CallsShell {...props} title="LLM calls · Glassbox">
      <CallsListBody {...props} />
    </CallsShell>,
  );
}

// ---------- /calls ----------

function CallsListBody(p: CallsPageProps) {
  const f = p.filters;
  const narrowed = f.status !== "" || f.model !== "" || f.runId !== "" || f.agent !== "" ||
    f.conversationId !== "";
  return (
    <>
      <div class="calls-head">
        <h1>LLM calls</h1>
        <p class="calls-sub">
          Every request Glassbox sent to a model: what it cost, how long it took, and exactly what
          was sent and received.
        </p>
      </div>
      <FilterForm filters={f} models={p.report.byModel.map((m) => m.model)} users={p.users} />
      <section class="calls-usage" aria-labelledby="h-totals">
        <h2 id="h-totals" class="calls-h2">
          {PERIOD_LABEL[f.period]}
          {f.from || f.to
            ? (
              <span class="muted" id="calls-range">
                {` · ${f.from ? `from ${f.from.slice(0, 16).replace("T", " ")}` : ""}`}
                {f.to ? ` until ${f.to.slice(0, 16).replace("T", " ")}` : ""} UTC
              </span>
            )
            : null}
          {f.userId
            ? (
              <span class="muted">
                · user {p.users?.find((u) => u.id === f.userId)?.label ?? f.userId}
              </span>
            )
            : null}
        </h2>
        <UsageTotalsView report={p.report} />
        {narrowed
          ? (
            <p class="calls-note">
              Totals and breakdowns cover the period{f.userId ? " and user" : ""}; the status,
              model, agent, conversation and run filters narrow the list below (its footer sums the
              calls shown).
            </p>
          )
          : null}
        <div class="calls-breakdown">
          <BreakdownTable
            title="By model"
            label="Model"
            rows={p.report.byModel.map((g) => ({
              ...g,
              name: g.model,
              href: filterUrl(f, g.model),
            }))}
          />
          <BreakdownTable
            title="By agent"
            label="Agent"
            rows={p.report.byAgent.map((g) => ({ ...g, name: g.agent }))}
          />
        </div>
      </section>
      <section class="panel calls-list" aria-labelledby="h-calls">
        <div class="panel-head">
          <h2 id="h-calls">Calls · newest first</h2>
          <span class="muted calls-count">
            {p.calls.length === 0
              ? ""
              : `${p.calls.length} shown${p.olderUrl ? " · more below" : ""}`}
          </span>
        </div>
        {p.calls.length
          ? <CallsTable calls={p.calls} now={p.now ?? Date.now()} />
          : <EmptyCalls filtered={narrowed || f.userId !== "" || f.period !== "all"} />}
        <Pager olderUrl={p.olderUrl} newestUrl={p.newestUrl} />
      </section>
    </>
  );
}

/** A model name in the breakdown links to the list filtered by it (other filters kept). */
function filterUrl(f: CallsFilterView, model: string): string {
  return callsUrl({ ...f, model });
}

/** /calls with these filters; empty values and the default period are left out. */
export function callsUrl(f: Partial<CallsFilterView> & { cursor?: string }): string {
  const q = new URLSearchParams();
  if (f.period && f.period !== "all") q.set("period", f.period);
  if (f.status) q.set("status", f.status);
  if (f.model) q.set("model", f.model);
  if (f.userId) q.set("user_id", f.userId);
  if (f.runId) q.set("run_id", f.runId);
  if (f.agent) q.set("agent", f.agent);
  if (f.conversationId) q.set("conversation_id", f.conversationId);
  if (f.from) q.set("from", f.from);
  if (f.to) q.set("to", f.to);
  if (f.limit) q.set("limit", String(f.limit));
  if (f.cursor) q.set("cursor", f.cursor);
  const s = q.toString();
  return s ? `/calls?${s}` : "/calls";
}

function CallsTable({ calls, now }: { calls: LlmCallSummary[]; now: number }) {
  const sum = (pick: (c: LlmCallSummary) => number | null) => {
    const known = calls.map(pick).filter((v): v is number => v !== null);
    return { total: known.reduce((a, b) => a + b, 0), missing: calls.length - known.length };
  };
  const inT = sum((c) => c.inputTokens);
  const outT = sum((c) => c.outputTokens);
  const cost = sum((c) => c.costUsd);
  return (
    <div class="table-scroll">
      <table class="data-table calls-table" id="calls-table">
        <thead>
          <tr>
            <th scope="col">Time (UTC)</th>
            <th scope="col">Agent</th>
            <th scope="col">Model</th>
            <th scope="col">Operation</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">Tokens in</th>
            <th scope="col" class="num">Tokens out</th>
            <th scope="col" class="num">Cost</th>
            <th scope="col" class="num">Duration</th>
            <th scope="col" class="num">TTFT</th>
            <th scope="col" class="num">Attempt</th>
            <th scope="col">Links</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((c) => <CallRow key={c.id} call={c} now={now} />)}
        </tbody>
        <tfoot>
          <tr>
            <td colspan={5}>
              {`Sum of these ${calls.length} call${calls.length === 1 ? "" : "s"}`}
            </td>
            <td class="num">{formatTokens(inT.total)}</td>
            <td class="num">{formatTokens(outT.total)}</td>
            <td class={cost.missing === calls.length ? "num unknown" : "num"}>
              {cost.missing === calls.length ? "unknown" : formatCost(cost.total)}
              {cost.missing && cost.missing < calls.length
                ? <span class="stat-note">{`+ ${cost.missing} unpriced`}</span>
                : null}
            </td>
            <td colspan={4}></td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

function CallRow({ call: c, now }: { call: LlmCallSummary; now: number }) {
  const when = formatWhen(c.startedAt, now);
  return (
    <tr data-call-id={c.id}>
      <td class="nowrap">
        <time datetime={when.iso} title={when.iso}>{when.text}</time>
      </td>
      <td class="cell-agent">{c.agentName ?? <span class="muted">(unnamed)</span>}</td>
      <td class="cell-model">
        <ModelName request={c.requestModel} response={c.responseModel} />
      </td>
      <td class="cell-op">{c.operation}</td>
      <td class="cell-status">
        <StatusBadge status={c.status} />
        {c.errorType
          ? <span class="cell-error" title={c.errorMessage ?? ""}>{c.errorType}</span>
          : null}
      </td>
      <td class="num">{formatTokens(c.inputTokens)}</td>
      <td class="num">{formatTokens(c.outputTokens)}</td>
      <CostCell usd={c.costUsd} />
      <td class="num">{formatDuration(c.durationMs)}</td>
      <td class="num">{formatDuration(ttftMs(c))}</td>
      <td class="num">{String(c.attempt)}</td>
      <td class="cell-links">
        <a href={`/calls/${c.id}`} class="link-detail">Details</a>
        {c.conversationId ? <a href={`/c/${c.conversationId}`} class="link-chat">Chat</a> : null}
        {c.runId
          ? <a href={callsUrl({ runId: c.runId })} class="link-run" title={c.runId}>Run</a>
          : null}
      </td>
    </tr>
  );
}

function EmptyCalls({ filtered }: { filtered: boolean }) {
  return (
    <div class="calls-empty" id="calls-empty">
      {filtered
        ? (
          <p>
            No calls match these filters. <a href="/calls">Clear the filters</a>
          </p>
        )
        : (
          <p>
            No LLM calls recorded yet. <a href="/">Ask something in the chat</a>{" "}
            and every call its agents make shows up here.
          </p>
        )}
    </div>
  );
}

function Pager({ olderUrl, newestUrl }: { olderUrl: string | null; newestUrl: string | null }) {
  if (!olderUrl && !newestUrl) return null;
  return (
    <nav class="calls-pager" aria-label="Pages of calls">
      {newestUrl ? <a href={newestUrl} rel="first">← Newest</a> : <span></span>}
      {olderUrl ? <a href={olderUrl} rel="next" class="btn">Older →</a> : null}
    </nav>
  );
}
