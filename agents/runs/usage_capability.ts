/**
 * The usage capability a run's tools get (ToolContext.usage): reports read from llm_calls
 * (db/usage.ts), bound to the run's conversation and user, so a tool names a scope, never an id.
 */
import type { Sql } from "../../db/client.ts";
import { usageReport } from "../../db/usage.ts";
import { periodStart } from "../llm/usage_period.ts";
import type { ToolContext } from "../runtime/types.ts";

export function usageCapability(
  sql: Sql,
  run: { conversationId: string; userId: string | null },
  now: () => Date = () => new Date(),
): ToolContext["usage"] {
  return ({ scope, period }) =>
    usageReport(sql, {
      ...(scope === "conversation" && { conversationId: run.conversationId }),
      ...(scope === "user" && { userId: run.userId }),
      since: periodStart(period, now()),
    });
}
