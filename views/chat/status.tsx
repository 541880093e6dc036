/** Run-level status: progress, run state, the aria-live status line, connection, usage totals. */
import type { ProgressValue, RunResult } from "../../agents/spine/events.ts";
import { clampPercent, formatCost, formatDuration, formatInt } from "../common/format.ts";
import { ids } from "../run/dom_ids.ts";
import type { RunState, RunView } from "../run/run_view.ts";

export function ProgressBar({ progress }: { progress: ProgressValue | null }) {
  const pct = clampPercent(progress?.percent);
  const step = !progress
    ? "No run yet"
    : progress.totalSteps
    ? `Step ${progress.step}/${progress.totalSteps}`
    : "Starting";
  const message = progress?.message ?? "Ask a question to watch the agents work.";
  return (
    <div class="progress" id={ids.progress}>
      <div class="progress-head">
        <span class="progress-step">{step}</span>
        <span class="progress-pct">{pct}%</span>
      </div>
      {/* A <progress>, not a styled div: the CSP forbids style attributes. */}
      <progress
        class="progress-track"
        max="100"
        value={String(pct)}
        aria-label="Run progress"
        aria-valuetext={`${pct}% · ${step}: ${message}`}
      >
        {pct}%
      </progress>
      <p class="progress-msg">{message}</p>
    </div>
  );
}

const STATE_LABEL: Record<RunState, string> = {
  pending: "Idle",
  running: "Running",
  succeeded: "Completed",
  cancelled: "Stopped",
  failed: "Failed",
};

export function RunStateBadge({ state }: { state: RunState }) {
  return <span class={`run-state state-${state}`} id={ids.runState}>{STATE_LABEL[state]}</span>;
}

/** Screen-reader announcements (visually hidden); the stream swaps its text (innerHTML). */
export function StatusLine({ text }: { text: string }) {
  return <p class="visually-hidden" id={ids.statusLine} role="status" aria-live="polite">{text}</p>;
}

export function statusText(v: Pick<RunView, "state" | "progress" | "error">): string {
  switch (v.state) {
    case "pending":
      return "";
    case "succeeded":
      return "The answer is ready.";
    case "cancelled":
      return v.error ? `The run was ${v.error.message}.` : "The run was stopped.";
    case "failed":
      return `The run failed: ${v.error?.message ?? "unknown error"}`;
    default:
      return v.progress ? progressText(v.progress) : "Working on it.";
  }
}

export function progressText(p: ProgressValue): string {
  if (!p.totalSteps) return p.message;
  return `Step ${p.step} of ${p.totalSteps}: ${p.message} (${clampPercent(p.percent)}%)`;
}

export type ConnectionState = "idle" | "connecting" | "live" | "reconnecting" | "ended";

const CONNECTION_LABEL: Record<ConnectionState, string> = {
  idle: "Idle",
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  ended: "Finished",
};

/**
 * The server sets the state (live on start, ended at the end); while re-attached, tiny htmx event
 * handlers on the SSE element flip `data-state` to reconnecting/live. CSS shows the matching label.
 */
export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  return (
    <span class="conn" id={ids.connection} data-state={state}>
      <span class="conn-dot" aria-hidden="true"></span>
      {Object.entries(CONNECTION_LABEL).map(([k, label]) => (
        <span class="conn-label" data-for={k}>{label}</span>
      ))}
    </span>
  );
}

export function UsageSummary({ usage, state }: { usage: RunResult | null; state: RunState }) {
  if (!usage) {
    const hint = state === "failed"
      ? "No totals: the run failed. Each LLM call in the tree shows its own usage."
      : state === "pending"
      ? "Calls, tokens, cost and duration of a run."
      : "Totals appear when the run ends; each finished LLM call shows its own.";
    return <p class="usage empty-hint" id={ids.usage}>{hint}</p>;
  }
  return (
    <dl class="usage" id={ids.usage}>
      <div>
        <dt>LLM calls</dt>
        <dd>{formatInt(usage.llmCalls)}</dd>
      </div>
      <div>
        <dt>Tokens</dt>
        <dd>
          {formatInt(usage.inputTokens)} in · {formatInt(usage.outputTokens)} out
        </dd>
      </div>
      <div>
        <dt>Cost</dt>
        <dd class={usage.costUsd === null ? "unknown" : undefined}>{formatCost(usage.costUsd)}</dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd>{formatDuration(usage.durationMs)}</dd>
      </div>
    </dl>
  );
}
