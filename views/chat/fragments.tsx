/**
 * The components shared by the page and the live stream. Pure functions of plain data: the page
 * renders them from a folded RunView, the encoder from single events, and both give the same
 * markup for the same state. Everything model- or user-provided is a text child or attribute,
 * which hono/jsx escapes; the one exception is the final answer, whose Markdown is rendered by
 * views/common/markdown.ts (raw HTML off, links checked).
 */
import type { Child } from "hono/jsx";
import type { RunResult } from "../../agents/spine/events.ts";
import { formatCost, formatDuration, formatTokens } from "../common/format.ts";
import { ids } from "../run/dom_ids.ts";
import { renderMarkdown } from "../common/markdown.ts";
import type { AnswerView, RunErrorView, RunState } from "../run/run_view.ts";

export * from "./cost.tsx";
export * from "./panels.tsx";
export * from "./status.tsx";
export * from "./tree.tsx";

export function ChatTitle({ title }: { title: string }) {
  return <h1 class="chat-title" id={ids.chatTitle}>{title}</h1>;
}

export function UserBubble({ text }: { text: string }) {
  return (
    <div class="bubble bubble-user">
      <div class="bubble-who">You</div>
      <div class="bubble-text">{text}</div>
    </div>
  );
}

interface BubbleProps {
  runId: string;
  answer: AnswerView;
  state: RunState;
  usage: RunResult | null;
  error: RunErrorView | null;
}

/** Streams plain (escaped) text while live; Markdown once the run has its final answer. */
export function AssistantBubble(p: BubbleProps) {
  return (
    <div class="bubble bubble-assistant" id={ids.answer(p.runId)}>
      <div class="bubble-who">Glassbox</div>
      <AnswerBody runId={p.runId} answer={p.answer} />
      <AnswerFoot runId={p.runId} state={p.state} usage={p.usage} error={p.error} />
    </div>
  );
}

export function AnswerBody({ runId, answer }: { runId: string; answer: AnswerView }) {
  if (answer.final !== null) {
    return <div class="answer-body" id={ids.answerBody(runId)}>{renderMarkdown(answer.final)}</div>;
  }
  return (
    <div class="answer-body" id={ids.answerBody(runId)}>
      <div class="answer-live" id={ids.answerText(runId)}>
        {answer.messages.map((m) => (
          <AnswerMessage key={m.messageId} messageId={m.messageId} text={m.text} />
        ))}
      </div>
    </div>
  );
}

/** One streamed message of the answer; TEXT_MESSAGE_CONTENT deltas append to it. */
export function AnswerMessage({ messageId, text }: { messageId: string; text: string }) {
  return <span class="msg" id={ids.message(messageId)}>{text}</span>;
}

/** Under the answer: nothing while running; usage, a stop notice or the error at the end. */
export function AnswerFoot(p: Omit<BubbleProps, "answer">) {
  const ended = p.state !== "running" && p.state !== "pending";
  return (
    <div class={ended ? "answer-foot ended" : "answer-foot"} id={ids.answerFoot(p.runId)}>
      {p.state === "cancelled" ? <CancelledNotice stop={p.error} /> : null}
      {p.state === "failed" ? <ErrorNotice error={p.error} /> : null}
      {p.usage && p.state !== "failed" ? <UsageInline usage={p.usage} /> : null}
    </div>
  );
}

export function UsageInline({ usage }: { usage: RunResult }) {
  const calls = `${usage.llmCalls} LLM call${usage.llmCalls === 1 ? "" : "s"}`;
  const tokens = usage.inputTokens === null || usage.outputTokens === null
    ? "tokens unknown"
    : `${formatTokens(usage.inputTokens + usage.outputTokens)} tokens`;
  const cost = usage.costUsd === null ? "cost unknown" : formatCost(usage.costUsd);
  return (
    <p class="usage-inline">
      {[calls, tokens, cost, formatDuration(usage.durationMs)].join(" · ")}
    </p>
  );
}

export function ErrorNotice({ error, title }: { error: RunErrorView | null; title?: string }) {
  const interrupted = error?.code === "interrupted";
  return (
    <div class="notice notice-error" role="alert">
      <strong>{title ?? (interrupted ? "Interrupted." : "The run failed.")}</strong>{" "}
      <span>{error?.message ?? "Unknown error."}</span>
      {error?.code && !interrupted ? <code class="notice-code">{error.code}</code> : null}
    </div>
  );
}

/** A cancelled run, or one a budget or guard stopped (`stop`: its reason). */
export function CancelledNotice({ stop }: { stop: RunErrorView | null }) {
  return (
    <div class="notice notice-cancelled" role="status" data-stopped-by={stop?.code ?? undefined}>
      <strong>Stopped.</strong>{" "}
      <span>
        {stop
          ? `${stop.message.replace(/^stopped: /, "")}; the answer so far is kept.`
          : "The run was cancelled; the answer may be incomplete."}
      </span>
    </div>
  );
}

/** The conversation the next message goes to ("" for a new one). */
export function ConversationIdInput({ conversationId }: { conversationId: string }) {
  return (
    <input type="hidden" id={ids.conversationId} name="conversation_id" value={conversationId} />
  );
}

/** The composer's text box; `text` puts back a message that could not be sent. */
export function MessageBox({ text = "" }: { text?: string }) {
  return (
    <textarea
      id="message"
      name="message"
      rows={2}
      required
      placeholder="Ask about LLM usage and costs, the time, a calculation…"
      aria-describedby="composer-hint"
    >
      {text}
    </textarea>
  );
}

/** Send and Stop: while a run is in flight Send is disabled and Stop cancels that run. */
export function ComposerControls({ runId }: { runId: string | null }) {
  return (
    <div class="composer-controls" id={ids.composerControls}>
      <span class="hint" id="composer-hint">Enter to send · Shift+Enter for a new line</span>
      {runId
        ? (
          <button
            type="button"
            class="btn btn-stop"
            id="stop-button"
            hx-post={`/runs/${encodeURIComponent(runId)}/cancel`}
            hx-swap="none"
          >
            Stop
          </button>
        )
        : null}
      <button type="submit" class="btn btn-primary" id="send-button" disabled={runId !== null}>
        {runId ? "Working…" : "Send"}
      </button>
    </div>
  );
}

/** One exchange: the question, the answer bubble and (on the page) its recorded trace. */
export function Turn(
  p: { runId: string; userMessage: string; trace?: Child } & Omit<BubbleProps, "runId">,
) {
  return (
    <article class="turn" id={ids.turn(p.runId)}>
      <UserBubble text={p.userMessage} />
      <AssistantBubble
        runId={p.runId}
        answer={p.answer}
        state={p.state}
        usage={p.usage}
        error={p.error}
      />
      {p.trace ?? null}
    </article>
  );
}
