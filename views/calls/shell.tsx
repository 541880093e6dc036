/**
 * What the LLM calls pages share: their props, the page chrome (header with navigation), the
 * problem page (400/403/404, which the other pages use too), and small cells and formatting
 * used by both the list and the detail.
 * Pure components of plain data; every user- or model-provided string is a text child or
 * attribute, which hono/jsx escapes.
 */
import type { Child } from "hono/jsx";
import type { ContentLogging } from "../../config/logging.ts";
import { LLM_CALL_STATUSES, type LlmCallStatus } from "../../agents/spine/events.ts";
import type { LlmCallRow, LlmCallSummary } from "../../db/llm_calls.ts";
import type { UsagePeriod } from "../../agents/llm/usage_period.ts";
import type { UsageReport } from "../../db/usage.ts";
import { formatCost } from "../common/format.ts";
import { renderDocument } from "../common/layout.tsx";
import { type PageChrome, PageShell } from "../common/chrome.tsx";
import type { UserOption } from "../common/filters.tsx";

export const PERIOD_LABEL: Record<UsagePeriod, string> = {
  today: "Today (UTC)",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  all: "All time",
};

/** The filters as the form shows them ("" = not set). */
export interface CallsFilterView {
  period: UsagePeriod;
  status: LlmCallStatus | "";
  model: string;
  userId: string;
  runId: string;
  /** Narrower than the period (the usage page's links to a bar's calls): ISO instants, "" unset. */
  from: string;
  to: string;
  agent: string;
  conversationId: string;
  /** Only when given in the URL (kept across form submits); the default is 50. */
  limit: number | null;
}

export type Chrome = PageChrome;

export interface CallsPageProps extends Chrome {
  filters: CallsFilterView;
  /** Admins: everyone they can filter by; members (who see only their own): null. */
  users: UserOption[] | null;
  report: UsageReport;
  calls: LlmCallSummary[];
  /** The next (older) page, or null on the last one. */
  olderUrl: string | null;
  /** Back to the first page, when this is a later one. */
  newestUrl: string | null;
  now?: number;
}

export interface CallDetailProps extends Chrome {
  call: LlmCallRow;
  /** Who the call was made for (email, or "Local user"). */
  userLabel: string;
  /** Every call of the same run, oldest first (empty without a run). */
  runCalls: LlmCallSummary[];
  /** The current content-logging setting, to explain clipped or missing text. */
  contentLogging: ContentLogging;
  now?: number;
}

/** A 400, 403 or 404 page in the same chrome: what went wrong and a way back. */
export function CallsProblemPage(
  props: Chrome & { heading: string; message: string; hint?: string },
): string {
  return renderDocument(
    <CallsShell {...props} title={`${props.heading} · Glassbox`}>
      <div class="calls-problem">
        <h1>{props.heading}</h1>
        <p class="notice notice-error" role="alert">{props.message}</p>
        {props.hint ? <p class="muted">{props.hint}</p> : null}
        <p>
          <a class="btn" href="/calls">All LLM calls</a> <a class="btn" href="/">Chat</a>
        </p>
      </div>
    </CallsShell>,
  );
}

export function CallsShell(props: Chrome & { title: string; children?: Child }) {
  return <PageShell {...props} current="calls" />;
}

// ---------- helpers ----------

export function ttftMs(c: Pick<LlmCallSummary, "startedAt" | "firstChunkAt">): number | null {
  return c.firstChunkAt ? c.firstChunkAt.getTime() - c.startedAt.getTime() : null;
}

/** Stored tool calls carry their arguments as a JSON string: show them parsed when they parse. */
export function parsedArgs(call: unknown): unknown {
  if (typeof call !== "object" || call === null) return call;
  const c = call as { arguments?: unknown; function?: { arguments?: unknown } };
  const parse = (s: unknown) => {
    if (typeof s !== "string") return s;
    try {
      return JSON.parse(s);
    } catch {
      return s;
    }
  };
  if ("arguments" in c) return { ...c, arguments: parse(c.arguments) };
  if (c.function && "arguments" in c.function) {
    return { ...c, function: { ...c.function, arguments: parse(c.function.arguments) } };
  }
  return c;
}

export function prettyJson(v: unknown): string {
  try {
    return JSON.stringify(v, null, 2) ?? String(v);
  } catch {
    return String(v);
  }
}

export function CostCell({ usd }: { usd: number | null }) {
  const cls = usd === null ? "num cell-cost unknown" : "num cell-cost";
  return <td class={cls}>{formatCost(usd)}</td>;
}

export function ModelName({ request, response }: { request: string; response: string | null }) {
  return (
    <span class="mono">
      {request}
      {response && response !== request
        ? (
          <>
            <span class="model-arrow" aria-label="answered by">→</span>
            {response}
          </>
        )
        : null}
    </span>
  );
}

export function StatusBadge({ status }: { status: LlmCallStatus }) {
  const known = (LLM_CALL_STATUSES as readonly string[]).includes(status) ? status : "error";
  return <span class={`badge badge-${known}`}>{status}</span>;
}
