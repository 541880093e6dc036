/**
 * What POST /chat sends before the run's own events: the new turn (user bubble + empty answer
 * bubble), the composer in its busy state with Stop wired to this run, the conversation id for
 * the next message, the new conversation in the sidebar, and fresh live panels.
 */
import { foldRun } from "../run/fold.ts";
import * as F from "../chat/fragments.tsx";
import { ids } from "../run/dom_ids.ts";
import { ConversationItem, type ConversationItemView } from "../chat/sidebar.tsx";
import { append, oob, runPanels, sseMessage, statusLine } from "./oob.tsx";

export interface ChatStart {
  runId: string;
  conversationId: string;
  userMessage: string;
  /** Set when this message started the conversation: it is added at the top of the sidebar. */
  newConversation?: ConversationItemView;
}

export function chatStartHtml(s: ChatStart): string {
  const v = foldRun([], { runId: s.runId });
  v.state = "running";
  v.progress = { percent: 0, step: 0, totalSteps: 0, message: "Sending your question…" };
  return [
    append(
      ids.transcript,
      <F.Turn
        runId={s.runId}
        userMessage={s.userMessage}
        answer={v.answer}
        state="running"
        usage={null}
        error={null}
      />,
    ),
    oob(<F.ComposerControls runId={s.runId} />),
    oob(<F.ConversationIdInput conversationId={s.conversationId} />),
    s.newConversation ? oob(<F.ChatTitle title={s.newConversation.title} />) : "",
    s.newConversation
      ? append(
        ids.conversationList,
        <ConversationItem conversation={s.newConversation} current />,
        "afterbegin",
      )
      : "",
    runPanels(v, "Question sent. The agents are starting."),
  ].join("");
}

/** One unnamed SSE message (no id: it is not part of the run's event stream). */
export function chatStartFragments(s: ChatStart): Uint8Array {
  return new TextEncoder().encode(sseMessage(chatStartHtml(s)));
}

/**
 * When POST /chat cannot start a run (empty message, unknown conversation, text that cannot be
 * stored, our own error…): answer 200 with text/event-stream and this message, so the error shows
 * in the conversation, the composer stays usable and the typed text is put back (the box clears
 * on send; htmx would not swap a 4xx/5xx body here: the form swaps nothing).
 */
export function chatErrorHtml(message: string, keptText = ""): string {
  return [
    append(
      ids.transcript,
      <div class="turn">
        <F.ErrorNotice title="Could not send." error={{ message, code: null }} />
      </div>,
    ),
    oob(<F.ComposerControls runId={null} />),
    keptText ? oob(<F.MessageBox text={keptText} />) : "",
    statusLine(`Could not send: ${message}`),
  ].join("");
}

export function chatErrorFragments(message: string, keptText = ""): Uint8Array {
  return new TextEncoder().encode(sseMessage(chatErrorHtml(message, keptText)));
}
