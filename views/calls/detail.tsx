/** GET /calls/:id: everything recorded about one LLM call, the prompt exactly as sent. */
import { PromptPanel, ToolDefinitionsPanel } from "./prompt.tsx";
import type { Child } from "hono/jsx";
import type { LlmCallRow, LlmCallSummary } from "../../db/llm_calls.ts";
import {
  formatCost,
  formatDuration,
  formatInt,
  formatTokens,
  formatWhen,
} from "../common/format.ts";
import { renderDocument } from "../common/layout.tsx";
import { callsUrl } from "./list.tsx";
import {
  type CallDetailProps,
  CallsShell,
  CostCell,
  ModelName,
  parsedArgs,
  prettyJson,
  StatusBadge,
  ttftMs,
} from "./shell.tsx";
import { ScrollTable } from "../common/table.tsx";

/** The whole /calls/:id document. */
export function CallDetailPage(props: CallDetailProps): string {
  const c = props.call;
  return renderDocument(
    <CallsShell {...props} title={`${c.agentName ?? "LLM"} call · ${c.requestModel} · Glassbox`}>
      <CallDetailBody {...props} />
    </CallsShell>,
  );
}

// ---------- /calls/:id ----------

function CallDetailBody(p: CallDetailProps) {
  const c = p.call;
  const when = formatWhen(c.startedAt, p.now ?? Date.now());
  return (
    <>
      <nav class="calls-crumbs" aria-label="Breadcrumb">
        <a href="/calls">← All LLM calls</a>
        {c.runId ? <a href={callsUrl({ runId: c.runId })}>Calls of this run</a> : null}
        {c.conversationId ? <a href={`/c/${c.conversationId}`}>Open the conversation</a> : null}
      </nav>
      <div class="calls-head call-head">
        <h1>
          <span>{c.agentName ?? "(unnamed agent)"}</span>
          <span class="muted">·</span>
          <ModelName request={c.requestModel} response={c.responseModel} />
          <StatusBadge status={c.status} />
        </h1>
        <p class="calls-sub">
          <time datetime={when.iso}>{when.iso}</time> · {c.operation} · attempt {String(c.attempt)}
          {" · "}
          {formatDuration(c.durationMs)} · cost {c.costUsd === null && c.estimatedCostUsd !== null
            ? `≈ ${formatCost(c.estimatedCostUsd)}`
            : formatCost(c.costUsd)}
        </p>
      </div>
      {c.status !== "ok" || c.errorType || c.errorMessage
        ? (
          <div class="notice notice-error call-error" role="alert" id="call-error">
            <strong>{c.errorType ?? c.status}</strong> <span>{c.errorMessage ?? ""}</span>
          </div>
        )
        : null}
      <div class="call-facts">
        <FactsPanel title="Tokens & cost" id="call-usage">
          <Fact name="input_tokens" label="Input tokens" value={formatInt(c.inputTokens)} />
          <Fact name="output_tokens" label="Output tokens" value={formatInt(c.outputTokens)} />
          <Fact name="cached_tokens" label="Cached tokens" value={formatInt(c.cachedTokens)} />
          <Fact
            name="reasoning_tokens"
            label="Reasoning tokens"
            value={formatInt(c.reasoningTokens)}
          />
          <Fact name="usage_source" label="Usage source" value={c.usageSource} />
          {c.estimatedInputTokens !== null
            ? (
              <Fact
                name="estimated_tokens"
                label="Estimated tokens"
                value={`≈ ${formatInt(c.estimatedInputTokens)} in / ${
                  formatInt(c.estimatedOutputTokens)
                } out`}
              />
            )
            : null}
          <Fact
            name="cost"
            label="Cost"
            value={costText(c)}
            unknown={c.costUsd === null && c.estimatedCostUsd === null}
          />
        </FactsPanel>
        <FactsPanel title="Timing" id="call-timing">
          <Fact name="date" label="Date (UTC)" value={c.startedAt.toISOString().slice(0, 10)} />
          <TimeFact name="started_at" label="Started" at={c.startedAt} />
          <TimeFact name="first_chunk_at" label="First chunk" at={c.firstChunkAt} />
          <TimeFact name="ended_at" label="Ended" at={c.endedAt} />
          <Fact name="ttft" label="Time to first token" value={formatDuration(ttftMs(c))} />
          <Fact name="duration" label="Duration" value={formatDuration(c.durationMs)} />
          <Fact name="status" label="Status" value={c.status} />
        </FactsPanel>
        <FactsPanel title="Request" id="call-request">
          <Fact name="provider" label="Provider" value={c.provider} />
          <Fact name="operation" label="Operation" value={c.operation} />
          <Fact name="request_model" label="Request model" value={c.requestModel} mono />
          <Fact name="response_model" label="Response model" value={c.responseModel ?? "–"} mono />
          <Fact name="response_id" label="Response id" value={c.responseId ?? "–"} mono />
          <Fact name="attempt" label="Attempt" value={String(c.attempt)} />
          <Fact
            name="finish_reasons"
            label="Finish reasons"
            value={c.finishReasons?.length ? c.finishReasons.join(", ") : "–"}
          />
          <Fact name="error_type" label="Error type" value={c.errorType ?? "–"} />
        </FactsPanel>
        <FactsPanel title="Identity" id="call-ids">
          <Fact name="id" label="Call id" value={c.id} mono />
          <Fact name="span_id" label="Span" value={c.spanId} mono />
          <div data-fact="parent_span_id">
            <dt>Parent span</dt>
            <dd class="mono">
              <ParentSpan call={c} runCalls={p.runCalls} />
            </dd>
          </div>
          <div data-fact="run_id">
            <dt>Run</dt>
            <dd class="mono">
              {c.runId ? <a href={callsUrl({ runId: c.runId })}>{c.runId}</a> : "–"}
            </dd>
          </div>
          <div data-fact="conversation_id">
            <dt>Conversation</dt>
            <dd class="mono">
              {c.conversationId ? <a href={`/c/${c.conversationId}`}>{c.conversationId}</a> : "–"}
            </dd>
          </div>
          <Fact name="user_id" label="User" value={p.userLabel} />
          <Fact name="agent_name" label="Agent" value={c.agentName ?? "(unnamed)"} />
        </FactsPanel>
      </div>
      <div class="call-facts">
        <JsonPanel title="Request parameters" id="call-params" value={c.requestParams} />
        <JsonPanel title="Metadata" id="call-metadata" value={c.metadata} />
      </div>
      <PromptPanel prompt={c.prompt} logging={p.contentLogging} />
      <ToolDefinitionsPanel tools={c.toolDefinitions} />
      <section class="panel" aria-labelledby="h-response">
        <h2 id="h-response">Response</h2>
        {c.toolCalls?.length
          ? (
            <>
              <h3 class="call-h3">Tool calls</h3>
              <pre class="json" id="call-tool-calls">{prettyJson(c.toolCalls.map(parsedArgs))}</pre>
            </>
          )
          : null}
        {c.response !== null
          ? (
            <>
              {c.toolCalls?.length ? <h3 class="call-h3">Text</h3> : null}
              <pre class="call-text" id="call-response">{c.response}</pre>
            </>
          )
          : (
            <p class="empty-hint" id="call-response-none">
              {c.toolCalls?.length
                ? "No text: the model answered with tool calls only."
                : c.prompt === null
                ? "Not stored (content logging was off)."
                : "No text was received."}
            </p>
          )}
      </section>
      {p.runCalls.length > 1 ? <RunCallsPanel call={c} runCalls={p.runCalls} /> : null}
    </>
  );
}

function FactsPanel(p: { title: string; id: string; children?: Child }) {
  return (
    <section class="panel" aria-labelledby={`${p.id}-h`}>
      <h2 id={`${p.id}-h`}>{p.title}</h2>
      <dl class="facts" id={p.id}>{p.children}</dl>
    </section>
  );
}

/** The provider's cost; else Glassbox's estimate (budgets count it), or why it is unknown. */
function costText(c: LlmCallSummary): string {
  if (c.costUsd !== null) return formatCost(c.costUsd);
  if (c.estimatedCostUsd !== null) {
    return `≈ ${formatCost(c.estimatedCostUsd)} (estimated: the provider reported no usage)`;
  }
  return c.usageSource === "none" && c.inputTokens === null
    ? "unknown (the provider reported no usage)"
    : "unknown (no price for this model)";
}

function Fact(
  p: { name: string; label: string; value: string; mono?: boolean; unknown?: boolean },
) {
  const cls = [p.mono ? "mono" : "", p.unknown ? "unknown" : ""].filter(Boolean).join(" ");
  return (
    <div data-fact={p.name}>
      <dt>{p.label}</dt>
      <dd class={cls || undefined}>{p.value}</dd>
    </div>
  );
}

/** Time of day to the millisecond (UTC); the full timestamp in datetime and the tooltip. */
function TimeFact(p: { name: string; label: string; at: Date | null }) {
  const iso = p.at?.toISOString();
  return (
    <div data-fact={p.name}>
      <dt>{p.label}</dt>
      <dd>{iso ? <time datetime={iso} title={iso}>{iso.slice(11, 23)}</time> : "–"}</dd>
    </div>
  );
}

function ParentSpan({ call, runCalls }: { call: LlmCallRow; runCalls: LlmCallSummary[] }) {
  if (!call.parentSpanId) return <>– (top level)</>;
  const parent = runCalls.find((r) => r.spanId === call.parentSpanId);
  return parent
    ? (
      <a href={`/calls/${parent.id}`} title={`${parent.agentName ?? ""} call`}>
        {call.parentSpanId}
      </a>
    )
    : <>{call.parentSpanId}</>;
}

function JsonPanel({ title, id, value }: { title: string; id: string; value: unknown }) {
  const empty = value === null || value === undefined ||
    (typeof value === "object" && Object.keys(value as object).length === 0);
  return (
    <section class="panel" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{title}</h2>
      {empty
        ? <p class="empty-hint">None.</p>
        : <pre class="json" id={id}>{prettyJson(value)}</pre>}
    </section>
  );
}

/** A message's content as text: strings as they are, parts joined (non-text parts named). */

function RunCallsPanel({ call, runCalls }: { call: LlmCallRow; runCalls: LlmCallSummary[] }) {
  const t0 = runCalls[0].startedAt.getTime();
  return (
    <section class="panel" aria-labelledby="h-run-calls">
      <h2 id="h-run-calls">Calls in this run · {runCalls.length}</h2>
      <ScrollTable
        id="run-calls"
        head={
          <>
            <th scope="col" class="num">#</th>
            <th scope="col">Agent</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">Starts at</th>
            <th scope="col" class="num">Tokens in</th>
            <th scope="col" class="num">Tokens out</th>
            <th scope="col" class="num">Cost</th>
            <th scope="col" class="num">Duration</th>
          </>
        }
      >
        {runCalls.map((r, i) => (
          <RunCallRow key={r.id} row={r} n={i + 1} current={r.id === call.id} t0={t0} />
        ))}
      </ScrollTable>
    </section>
  );
}

function RunCallRow(p: { row: LlmCallSummary; n: number; current: boolean; t0: number }) {
  const r = p.row;
  return (
    <tr aria-current={p.current ? "true" : undefined}>
      <td class="num">{p.current ? String(p.n) : <a href={`/calls/${r.id}`}>{p.n}</a>}</td>
      <td>
        {r.parentSpanId ? <span class="muted">↳</span> : null}
        {r.agentName ?? "(unnamed)"}
      </td>
      <td>
        <StatusBadge status={r.status} />
      </td>
      <td class="num">+{formatDuration(r.startedAt.getTime() - p.t0)}</td>
      <td class="num">{formatTokens(r.inputTokens)}</td>
      <td class="num">{formatTokens(r.outputTokens)}</td>
      <CostCell usd={r.costUsd} />
      <td class="num">{formatDuration(r.durationMs)}</td>
    </tr>
  );
}
