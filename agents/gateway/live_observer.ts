/** The events a gateway call adds to a run while it streams (sessions.ts, external_session.ts). */
import { type AgUiEvent, CUSTOM, custom, EventType } from "../spine/events.ts";
import { getLogger, withRunContext } from "../logging/logging.ts";
import type { LlmStreamObserver } from "../llm/types.ts";

const log = getLogger("gateway");

/**
 * One call as the run's tree shows it: its span (started, then finished with tokens and cost), a
 * log line for each, and — in a session, where nobody else speaks — its text and tool calls as
 * they stream through.
 */
export function liveObserver(
  runId: string,
  agent: string,
  emit: (ev: AgUiEvent) => void,
  opts: {
    text?: boolean;
    onStarted?: () => void;
    onFinished?: (v: Parameters<NonNullable<LlmStreamObserver["onCallFinished"]>>[0]) => void;
  },
): LlmStreamObserver {
  const messageId = crypto.randomUUID();
  let spanId = "";
  let textOpen = false;
  const toolCalls: string[] = [];
  const logged = (fn: () => void) => withRunContext({ runId, agent }, fn);
  return {
    onCallStarted(v) {
      spanId = v.spanId;
      opts.onStarted?.();
      emit(custom(CUSTOM.agentStatus, { agent, status: "working" }));
      emit(custom(CUSTOM.llmCallStarted, v));
      logged(() => log.info("Gateway call to {model} ({provider})", { ...v }));
    },
    onTextDelta(delta) {
      if (!opts.text) return;
      if (!textOpen) {
        textOpen = true;
        emit({ type: EventType.TEXT_MESSAGE_START, messageId, role: "assistant" });
      }
      emit({ type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta });
    },
    onToolCallStart(call) {
      if (!opts.text) return;
      toolCalls.push(call.id);
      emit({
        type: EventType.TOOL_CALL_START,
        toolCallId: call.id,
        toolCallName: call.name,
        parentMessageId: messageId,
        metadata: { spanId },
      });
    },
    onToolCallArgs(toolCallId, delta) {
      if (opts.text) emit({ type: EventType.TOOL_CALL_ARGS, toolCallId, delta });
    },
    onCallFinished(v) {
      if (textOpen) emit({ type: EventType.TEXT_MESSAGE_END, messageId });
      for (const toolCallId of toolCalls) emit({ type: EventType.TOOL_CALL_END, toolCallId });
      emit(custom(CUSTOM.llmCallFinished, v));
      opts.onFinished?.(v);
      emit(custom(CUSTOM.agentStatus, { agent, status: v.status === "ok" ? "idle" : "error" }));
      const level = v.status === "ok" ? "info" : "warn";
      logged(() =>
        log[level]("Gateway call {status}: {inputTokens} in / {outputTokens} out in {ms} ms", {
          ...v,
          ms: Math.round(v.durationMs),
        })
      );
    },
  };
}
