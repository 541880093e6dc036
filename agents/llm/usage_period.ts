/**
 * The periods LLM usage is reported for, and when each starts ("today" is the current UTC day):
 * the llm_usage tool, GET /api/v1/usage and the /calls page offer the same ones.
 */
export const USAGE_PERIODS = ["today", "7d", "30d", "all"] as const;
export type UsagePeriod = typeof USAGE_PERIODS[number];

/** Start of the period; null for "all" (since records began). */
export function periodStart(period: UsagePeriod, now: Date): Date | null {
  const day = 86_400_000;
  switch (period) {
    case "today":
      return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    case "7d":
      return new Date(now.getTime() - 7 * day);
    case "30d":
      return new Date(now.getTime() - 30 * day);
    case "all":
      return null;
  }
}
