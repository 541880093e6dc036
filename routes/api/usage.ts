/**
 * GET /api/v1/usage — cost and token analytics over the LLM calls the caller may see: totals, by
 * model, by agent.
 */
import { Hono } from "hono";
import { z } from "zod/v4";
import { periodStart, USAGE_PERIODS } from "../../agents/llm/usage_period.ts";
import { usageReport } from "../../db/usage.ts";
import type { AppDeps } from "../deps.ts";
import { validQuery } from "../validate.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { ownerScope } from "../../auth/viewer.ts";
import { viewerOf } from "../access.ts";

export const UsageQuery = z.object({
  period: z.enum(USAGE_PERIODS).default("all"),
  user_id: z.string().regex(UUID_RE, "must be a UUID").optional(),
  conversation_id: z.string().regex(UUID_RE, "must be a UUID").optional(),
}).strict().refine((q) => !(q.user_id && q.conversation_id), {
  message: "give user_id or conversation_id, not both",
});

export function usageApi(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/usage", validQuery(UsageQuery), async (c) => {
    const q = c.req.valid("query");
    const report = await usageReport(deps.db.sql, {
      scope: ownerScope(viewerOf(c), q.user_id),
      conversationId: q.conversation_id,
      since: periodStart(q.period, new Date()),
    });
    return c.json({ period: q.period, ...report });
  });
  return app;
}
