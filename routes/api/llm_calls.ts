/**
 * GET /api/v1/llm-calls — the recorded LLM calls the caller may see (their own; an admin's: all,
 * or one user's with user_id), filtered and paginated (newest first).
 */
import { Hono } from "hono";
import { z } from "zod/v4";
import { LLM_CALL_STATUSES } from "../../agents/spine/events.ts";
import { listLlmCalls, LlmCallQueryError } from "../../db/llm_calls.ts";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../errors.ts";
import { validQuery } from "../validate.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { ownerScope } from "../../auth/viewer.ts";
import { viewerOf } from "../access.ts";

export const LlmCallsQuery = z.object({
  run_id: z.string().regex(UUID_RE, "must be a UUID").optional(),
  conversation_id: z.string().regex(UUID_RE, "must be a UUID").optional(),
  user_id: z.string().regex(UUID_RE, "must be a UUID").optional(),
  model: z.string().min(1).max(200).optional(),
  status: z.enum(LLM_CALL_STATUSES).optional(),
  from: z.string().datetime({ offset: true }).optional(),
  to: z.string().datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
}).strict();

export function llmCallsApi(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/llm-calls", validQuery(LlmCallsQuery), async (c) => {
    const q = c.req.valid("query");
    try {
      const page = await listLlmCalls(deps.db.sql, {
        scope: ownerScope(viewerOf(c), q.user_id),
        runId: q.run_id,
        conversationId: q.conversation_id,
        model: q.model,
        status: q.status,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        limit: q.limit,
        cursor: q.cursor,
      });
      return c.json({ items: page.items, next_cursor: page.nextCursor });
    } catch (err) {
      if (err instanceof LlmCallQueryError) return apiError(c, 400, "invalid_cursor", err.message);
      throw err;
    }
  });
  return app;
}
