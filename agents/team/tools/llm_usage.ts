/**
 * Lets agents answer "what has Glassbox spent?" from its own llm_calls records, read through the
 * usage capability the run gives its tools (ToolContext.usage). The first paragraph of the
 * answer is a self-contained summary (the demo model quotes only that).
 */
import { formatUsd } from "../../llm/cost.ts";
import { USAGE_PERIODS, type UsagePeriod } from "../../llm/usage_period.ts";
import {
  type ToolDef,
  USAGE_SCOPES,
  type UsageGroup,
  type UsageReport,
  type UsageScope,
} from "../../runtime/types.ts";

const SCOPE_WORDS: Record<UsageScope, string> = {
  conversation: "this conversation",
  user: "your conversations",
  all: "all of Glassbox",
};
const PERIOD_WORDS: Record<UsagePeriod, string> = {
  today: "today (UTC)",
  "7d": "over the last 7 days",
  "30d": "over the last 30 days",
  all: "since records began",
};

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const plural = (n: number, word: string) => `${int(n)} ${word}${n === 1 ? "" : "s"}`;

/** "$0.0123", "$0.0123 (cost unknown for 2 calls)" or "cost unknown": never a made-up zero. */
export function costPhrase(g: UsageGroup): string {
  if (g.costUsd === null) return "cost unknown";
  if (g.callsWithoutCost === 0) return formatUsd(g.costUsd);
  return `${formatUsd(g.costUsd)} (cost unknown for ${plural(g.callsWithoutCost, "call")})`;
}

function formatTokens(g: UsageGroup): string {
  const known = `${int(g.inputTokens)} input + ${int(g.outputTokens)} output tokens`;
  if (g.callsWithoutTokens === 0) return known;
  if (g.callsWithoutTokens === g.calls) return "token counts unknown";
  return `${known} (unknown for ${plural(g.callsWithoutTokens, "call")})`;
}

const ms = (v: number | null) => (v === null ? "n/a" : `${int(v)} ms`);

export function formatUsageReport(r: UsageReport, scope: UsageScope, period: UsagePeriod): string {
  const where = `${SCOPE_WORDS[scope]} ${PERIOD_WORDS[period]}`;
  const t = r.totals;
  if (t.calls === 0) return `No LLM calls are recorded for ${where}.`;
  const summary = `LLM usage for ${where}: **${plural(t.calls, "call")}**, ${formatTokens(t)}, ` +
    `${costPhrase(t)}. Failures: ${plural(t.errors, "error")}, ` +
    `${plural(t.timeouts, "timeout")}, ${int(t.cancelled)} cancelled. ` +
    `Median latency ${ms(t.p50LatencyMs)}; median time to first token ${ms(t.p50TtftMs)}.`;
  const line = (name: string, g: UsageGroup) =>
    `- ${name}: ${plural(g.calls, "call")}, ${formatTokens(g)}, ${costPhrase(g)}`;
  return [
    summary,
    ["By model:", ...r.byModel.map((g) => line(g.model, g))].join("\n"),
    ["By agent:", ...r.byAgent.map((g) => line(g.agent, g))].join("\n"),
  ].join("\n\n");
}

function pick<T extends string>(
  args: Record<string, unknown>,
  key: string,
  allowed: readonly T[],
): T {
  const v = args[key];
  if (v === undefined || v === null || v === "") return allowed[allowed.length - 1];
  if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
  throw new Error(`"${key}" must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
}

export const llmUsageTool: ToolDef = {
  name: "llm_usage",
  description: "Reports Glassbox's own LLM usage from its call records: number of calls, " +
    "input/output tokens, cost in USD (unknown where no price is configured), errors and " +
    "timeouts, median latency and time to first token, broken down by model and by agent.",
  parameters: {
    type: "object",
    properties: {
      scope: {
        type: "string",
        enum: [...USAGE_SCOPES],
        description: '"conversation": this chat; "user": the current user\'s chats; ' +
          '"all" (default): everything Glassbox recorded.',
      },
      period: {
        type: "string",
        enum: [...USAGE_PERIODS],
        description: '"today" (UTC), "7d", "30d" or "all" (default).',
      },
    },
    additionalProperties: false,
  },
  progressMessage: () => "Adding up token usage",
  async run(args, ctx) {
    // The last entry of each list ("all") is the default.
    const scope = pick(args, "scope", USAGE_SCOPES);
    const period = pick(args, "period", USAGE_PERIODS);
    const report = await ctx.usage({ scope, period });
    return formatUsageReport(report, scope, period);
  },
};
