/** Conversations and their messages. */
import type { Sql } from "./client.ts";

export interface ConversationSummary {
  id: string;
  title: string;
  userId: string | null;
  messageCount: number;
  preview: string;
  updatedAt: Date;
}

export interface MessageRow {
  id: string;
  runId: string | null;
  role: "user" | "assistant";
  content: string;
  createdAt: Date;
}

export async function createConversation(
  sql: Sql,
  c: { id: string; userId: string | null; title: string },
): Promise<void> {
  await sql`INSERT INTO conversations (id, user_id, title) VALUES (${c.id}, ${c.userId}, ${c.title})`;
}

export async function conversationExists(sql: Sql, id: string): Promise<boolean> {
  const [row] = await sql`SELECT 1 FROM conversations WHERE id = ${id}`;
  return row !== undefined;
}

export async function insertMessage(
  sql: Sql,
  m: { id: string; conversationId: string; runId: string | null; role: string; content: string },
): Promise<void> {
  await sql`
    INSERT INTO messages (id, conversation_id, run_id, role, content)
    VALUES (${m.id}, ${m.conversationId}, ${m.runId}, ${m.role}, ${m.content})`;
  await sql`UPDATE conversations SET updated_at = now() WHERE id = ${m.conversationId}`;
}

export async function listMessages(sql: Sql, conversationId: string): Promise<MessageRow[]> {
  return await sql<MessageRow[]>`
    SELECT id, run_id AS "runId", role, content, created_at AS "createdAt"
    FROM messages WHERE conversation_id = ${conversationId} ORDER BY created_at, role DESC`;
}

export async function getConversation(
  sql: Sql,
  id: string,
): Promise<ConversationSummary | null> {
  const [row] = await sql<ConversationSummary[]>`${summarySelect(sql)} WHERE c.id = ${id}`;
  return row ?? null;
}

/** Most recent first; preview is the latest message's start. */
export async function listConversations(
  sql: Sql,
  opts: { userId?: string | null; limit: number },
): Promise<ConversationSummary[]> {
  const byUser = opts.userId ? sql`WHERE c.user_id = ${opts.userId}` : sql``;
  return await sql<ConversationSummary[]>`
    ${summarySelect(sql)} ${byUser} ORDER BY c.updated_at DESC LIMIT ${opts.limit}`;
}

function summarySelect(sql: Sql) {
  return sql`
    SELECT c.id, c.title, c.user_id AS "userId", c.updated_at AS "updatedAt",
      (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS "messageCount",
      coalesce((SELECT left(m.content, 140) FROM messages m WHERE m.conversation_id = c.id
        ORDER BY m.created_at DESC LIMIT 1), '') AS preview
    FROM conversations c`;
}
