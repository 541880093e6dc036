/**
 * Conversation history for programs: GET /api/v1/conversations (the caller's; an admin's: all,
 * or one user's with user_id) and /:id/messages (404 for a conversation the caller may not see).
 */
import { Hono } from "hono";
import { z } from "zod/v4";
import { getConversation, listConversations, listMessages } from "../../db/conversations.ts";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../errors.ts";
import { UUID_RE } from "../../db/uuid.ts";
import { validQuery } from "../validate.ts";
import { ownerScope } from "../../auth/viewer.ts";
import { viewerOf } from "../access.ts";

const LIMIT = "must be an integer from 1 to 200";
export const ConversationsQuery = z.object({
  limit: z.coerce.number({ message: LIMIT }).int(LIMIT).min(1, LIMIT).max(200, LIMIT).default(50),
  user_id: z.string().regex(UUID_RE, "must be a UUID").optional(),
}).strict();

export function conversationsApi(deps: AppDeps): Hono {
  const app = new Hono();
  const { sql } = deps.db;

  app.get("/conversations", validQuery(ConversationsQuery), async (c) => {
    const { limit, user_id: userId } = c.req.valid("query");
    const items = await listConversations(sql, { scope: ownerScope(viewerOf(c), userId), limit });
    return c.json({ items });
  });

  app.get("/conversations/:id/messages", async (c) => {
    const id = c.req.param("id");
    const conversation = UUID_RE.test(id)
      ? await getConversation(sql, id, ownerScope(viewerOf(c)))
      : null;
    if (!conversation) return apiError(c, 404, "not_found", `conversation ${id} not found`);
    return c.json({ conversation, messages: await listMessages(sql, id) });
  });

  return app;
}
