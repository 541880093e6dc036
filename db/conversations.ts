/** Conversations and their messages; a conversation's messages are its owner's. */
import type { Sql } from "./client.ts";
import { ownedBy, type OwnerScope } from "./owner.ts";

export interface ConversationSummary {
  id: string;
  title: string;
  userId: string;
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
  c: { id: string; userId: string; title: string },
): Promise<void> {
  await sql`INSERT INTO conversations (id, user_id, title) VALUES (${c.id}, ${c.userId}, ${c.title})`;
}

/** Who owns the conversation; null when there is none with this id. */
export async function conversationOwner(sql: Sql, id: string): Promise<string | null> {
  const [row] = await sql`SELECT user_id FROM conversations WHERE id = ${id}`;
  return row ? row.user_id : null;
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
  scope: OwnerScope,
): Promise<ConversationSummary | null> {
  const [row] = await sql<ConversationSummary[]>`
    ${summarySelect(sql)} WHERE c.id = ${id} ${ownedBy(sql, scope, "c.user_id")}`;
  return row ?? null;
}

/** Most recent first; preview is the latest message's start. */
export async function listConversations(
  sql: Sql,
  opts: { scope: OwnerScope; limit: number },
): Promise<ConversationSummary[]> {
  return await sql<ConversationSummary[]>`
    ${summarySelect(sql)} WHERE TRUE ${ownedBy(sql, opts.scope, "c.user_id")}
    ORDER BY c.updated_at DESC LIMIT ${opts.limit}`;
}

function summarySelect(sql: Sql) {
  return sql`
    SELECT c.id, c.title, c.user_id AS "userId", c.updated_at AS "updatedAt",
      (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS "messageCount",
      coalesce((SELECT left(m.content, 140) FROM messages m WHERE m.conversation_id = c.id
        ORDER BY m.created_at DESC LIMIT 1), '') AS preview
    FROM conversations c`;
}
