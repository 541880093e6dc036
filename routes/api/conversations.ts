/** Conversation history for programs: GET /api/v1/conversations and /:id/messages. */
import { Hono } from "hono";
import { getConversation, listConversations, listMessages } from "../../db/conversations.ts";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../errors.ts";
import { UUID_RE } from "../../db/uuid.ts";

export function conversationsApi(deps: AppDeps): Hono {
  const app = new Hono();
  const { sql } = deps.db;

  app.get("/conversations", async (c) => {
    const limit = Number(c.req.query("limit") ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
      return apiError(c, 400, "invalid_query", "limit must be an integer from 1 to 200");
    }
    const items = await listConversations(sql, { userId: c.req.query("user_id"), limit });
    return c.json({ items });
  });

  app.get("/conversations/:id/messages", async (c) => {
    const id = c.req.param("id");
    const conversation = UUID_RE.test(id) ? await getConversation(sql, id) : null;
    if (!conversation) return apiError(c, 404, "not_found", `conversation ${id} not found`);
    return c.json({ conversation, messages: await listMessages(sql, id) });
  });

  return app;
}
