/** The conversation list: most recent first, each with its preview and message count. */
import { truncate } from "../../agents/spine/text.ts";
import { formatAge } from "../common/format.ts";
import { ids } from "../run/dom_ids.ts";

/** What the sidebar needs of a conversation (db/conversations.ts ConversationSummary fits). */
export interface ConversationItemView {
  id: string;
  title: string;
  preview: string;
  messageCount: number;
  updatedAt: Date | string | number;
}

export function ConversationList(
  props: { conversations: ConversationItemView[]; currentId?: string; now?: number },
) {
  const sorted = [...props.conversations].sort((a, b) => time(b.updatedAt) - time(a.updatedAt));
  return (
    <ul class="conversations" id={ids.conversationList}>
      {sorted.map((c) => (
        <ConversationItem conversation={c} current={c.id === props.currentId} now={props.now} />
      ))}
    </ul>
  );
}

export function ConversationItem(
  props: { conversation: ConversationItemView; current?: boolean; now?: number },
) {
  const c = props.conversation;
  const count = `${c.messageCount} message${c.messageCount === 1 ? "" : "s"}`;
  return (
    <li class="conversation">
      <a href={`/c/${encodeURIComponent(c.id)}`} aria-current={props.current ? "page" : undefined}>
        <span class="conversation-title">{truncate(c.title || "Untitled", 80)}</span>
        <span class="conversation-preview">{truncate(c.preview, 120)}</span>
        <span class="conversation-meta">
          {count} · <time datetime={iso(c.updatedAt)}>{formatAge(c.updatedAt, props.now)}</time>
        </span>
      </a>
    </li>
  );
}

function time(d: Date | string | number): number {
  const t = new Date(d).getTime();
  return Number.isNaN(t) ? 0 : t;
}

function iso(d: Date | string | number): string {
  const t = time(d);
  return t ? new Date(t).toISOString() : "";
}
