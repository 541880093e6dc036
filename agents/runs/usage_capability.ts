/**
 * The usage capability a run's tools get (ToolContext.usage): reports read from llm_calls
 * (db/usage.ts), bound to the run's conversation and user, so a tool names a scope, never an id.
 * "all" is everything the run's user may see: all of Glassbox for an admin, their own for a
 * member — a tool never reads past its user.
 */
import type { Sql } from "../../db/client.ts";
import type { OwnerScope } from "../../db/owner.ts";
import { usageReport } from "../../db/usage.ts";
import { periodStart } from "../llm/usage_period.ts";
import type { ToolContext } from "../runtime/types.ts";

export function usageCapability(
  sql: Sql,
  run: { conversationId: string; userId: string; visible: OwnerScope },
  now: () => Date = () => new Date(),
): ToolContext["usage"] {
  return ({ scope, period }) =>
    usageReport(sql, {
      scope: scope === "all" ? run.visible : { owner: run.userId },
      ...(scope === "conversation" && { conversationId: run.conversationId }),
      since: periodStart(period, now()),
    });
}
