/**
 * What an alert says and the body it is sent as: Standard Webhooks' JSON shape
 * (`{type, timestamp, data}`), or a Slack-compatible message (`text` plus mrkdwn `blocks`, which
 * Slack, Mattermost and Discord's /slack endpoint accept). Pure functions.
 */
import { formatUsd } from "../llm/cost.ts";
import type { AlertFormat, AlertKind, AlertRule } from "../../db/alerts.ts";

export type AlertEvent =
  | "alert.fired"
  | "alert.resolved"
  | "alert.test"
  | "budget.warning"
  | "budget.limit";

export interface AlertNotice {
  event: AlertEvent;
  rule: Pick<AlertRule, "id" | "name" | "kind" | "threshold" | "windowMinutes">;
  /** The measured value (USD, percent, ms; a budget event's percent used), or null (tests). */
  value: number | null;
  /** One sentence a person reads. */
  message: string;
  at: Date;
  /** Extra facts (a budget event's own fields). */
  detail?: Record<string, unknown>;
}

export function windowText(minutes: number): string {
  if (minutes % 1440 === 0) return minutes === 1440 ? "24 h" : `${minutes / 1440} days`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}

const ms = (v: number) => (v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`);
const pct = (v: number) => `${Math.round(v * 10) / 10}%`;

/** The threshold in the rule's unit. */
export function thresholdText(kind: AlertKind, threshold: number): string {
  if (kind === "cost") return formatUsd(threshold);
  if (kind === "error_rate") return pct(threshold);
  if (kind === "latency") return ms(threshold);
  return "budget";
}

/** The sentence for a measured rule: what was measured, over what, against what. */
export function measuredMessage(
  rule: Pick<AlertRule, "kind" | "threshold" | "windowMinutes">,
  m: { value: number; calls: number },
  firing: boolean,
): string {
  const w = windowText(rule.windowMinutes);
  const t = thresholdText(rule.kind, rule.threshold);
  const what = rule.kind === "cost"
    ? `LLM cost in the last ${w}: ${formatUsd(m.value)} over ${m.calls} calls`
    : rule.kind === "error_rate"
    ? `Errors and timeouts in the last ${w}: ${pct(m.value)} of ${m.calls} calls`
    : `p95 latency of successful calls in the last ${w}: ${ms(m.value)} over ${m.calls} calls`;
  return firing ? `${what} (threshold ${t}).` : `Back under the threshold (${t}): ${what}.`;
}

export function alertBody(format: AlertFormat, n: AlertNotice): string {
  if (format === "slack") return JSON.stringify(slackMessage(n));
  return JSON.stringify({
    type: n.event,
    timestamp: n.at.toISOString(),
    data: {
      rule: {
        id: n.rule.id,
        name: n.rule.name,
        kind: n.rule.kind,
        threshold: n.rule.threshold,
        window_minutes: n.rule.windowMinutes,
      },
      state: n.event === "alert.resolved" ? "ok" : n.event === "alert.test" ? "test" : "firing",
      value: n.value,
      message: n.message,
      ...(n.detail ? { detail: n.detail } : {}),
    },
  });
}

/** Slack's mrkdwn treats &, < and > as markup: user text is escaped. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const ICON: Record<AlertEvent, string> = {
  "alert.fired": ":rotating_light:",
  "alert.resolved": ":white_check_mark:",
  "alert.test": ":wave:",
  "budget.warning": ":warning:",
  "budget.limit": ":no_entry:",
};

function slackMessage(n: AlertNotice) {
  const head = `${ICON[n.event]} *${slackEscape(n.rule.name)}*`;
  const text = `${head} ${slackEscape(n.message)}`;
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `${head}\n${slackEscape(n.message)}` } },
      {
        type: "context",
        elements: [{
          type: "mrkdwn",
          text: `Glassbox · ${n.event} · ${n.rule.kind} · ${n.at.toISOString()}`,
        }],
      },
    ],
  };
}
