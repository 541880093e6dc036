/**
 * Synthetic runs shaped like the runtime's output (agents/runtime/, agents/runs/), for the view
 * tests: a successful orchestrator → ask_usage_analyst → llm_usage → answer run, a failed run, a
 * cancelled run, and a run full of hostile text.
 */
import {
  type AgUiEvent,
  CUSTOM,
  custom,
  EventType,
  type LlmCallFinishedValue,
  type LlmCallStartedValue,
  type LogLevel,
  type RunEvent,
} from "../../agents/spine/events.ts";

/** The page chrome of a view test: the local user, no warning. */
export const CHROME = {
  assetVersion: "v",
  demo: true,
  model: "glassbox-demo",
  viewer: { label: "Local user", role: "admin" as const, signedIn: false },
  warning: null,
};
export const CONVERSATION_ID = "c0ffee00-0000-4000-8000-000000000001";
export const T0 = Date.UTC(2026, 10, 21, 9, 30, 0);
export const HOSTILE = `<script>alert("x")</script><img src=x onerror="alert(1)">&amp;`;
export const TEAM = [
  { name: "glassbox", title: "Orchestrator" },
  { name: "usage_analyst", title: "Usage analyst" },
  { name: "utility", title: "Clock & calculator" },
];
export const ANSWER =
  "Today you spent **$0.0042** on 7 LLM calls:\n\n- 5 by the *orchestrator*\n- 2 by the `usage_analyst`";

/** Numbers the events: ids from `firstId`, seq from 1, 40 ms apart. */
export function numbered(runId: string, events: AgUiEvent[], firstId = 1000): RunEvent[] {
  return events.map((event, i) => ({
    id: firstId + i,
    runId,
    seq: i + 1,
    createdAt: T0 + 40 * i,
    event,
  }));
}

export function runStarted(runId: string, userMessage: string): AgUiEvent {
  return {
    type: EventType.RUN_STARTED,
    threadId: CONVERSATION_ID,
    runId,
    metadata: {
      agent: "glassbox",
      agents: TEAM,
      userId: "00000000-0000-0000-0000-000000000001",
      model: "glassbox-demo",
      demo: true,
      userMessageId: `${runId}-user`,
      userMessage,
    },
  };
}

const status = (agent: string, s: string, sub?: string, detail?: string) =>
  custom(CUSTOM.agentStatus, { agent, status: s, subagentRunId: sub, detail }, sub);
const progress = (percent: number, step: number, totalSteps: number, message: string) =>
  custom(CUSTOM.progress, { percent, step, totalSteps, message });
const log = (level: LogLevel, agent: string | null, category: string, message: string, i = 0) =>
  custom(CUSTOM.log, { level, timestamp: T0 + 1000 * i, agent, category, message });

export function llmStarted(spanId: string, agent: string, sub?: string, op = "chat"): AgUiEvent {
  const v: LlmCallStartedValue = {
    callId: `call-${spanId}`,
    spanId,
    parentSpanId: null,
    agent,
    subagentRunId: sub,
    provider: "glassbox-demo",
    model: "glassbox-demo",
    operation: op,
    attempt: 1,
    startedAt: T0,
  };
  return custom(CUSTOM.llmCallStarted, v, sub);
}

export function llmFinished(
  spanId: string,
  agent: string,
  sub?: string,
  over: Partial<LlmCallFinishedValue> = {},
): AgUiEvent {
  const v: LlmCallFinishedValue = {
    callId: `call-${spanId}`,
    spanId,
    agent,
    subagentRunId: sub,
    provider: "glassbox-demo",
    model: "glassbox-demo",
    responseModel: "glassbox-demo-1",
    status: "ok",
    inputTokens: 420,
    outputTokens: 38,
    costUsd: 0.00021,
    durationMs: 812,
    ttftMs: 240,
    finishReason: "stop",
    errorMessage: null,
    ...over,
  };
  return custom(CUSTOM.llmCallFinished, v, sub);
}

const text = (messageId: string, parts: string[], sub?: string): AgUiEvent[] => [
  { type: EventType.TEXT_MESSAGE_START, messageId, role: "assistant", subagentRunId: sub },
  ...parts.map((delta): AgUiEvent => ({
    type: EventType.TEXT_MESSAGE_CONTENT,
    messageId,
    delta,
    subagentRunId: sub,
  })),
];
const toolStart = (id: string, name: string, spanId: string, sub?: string): AgUiEvent => ({
  type: EventType.TOOL_CALL_START,
  toolCallId: id,
  toolCallName: name,
  subagentRunId: sub,
  metadata: { spanId },
});
const args = (id: string, delta: string, sub?: string): AgUiEvent => ({
  type: EventType.TOOL_CALL_ARGS,
  toolCallId: id,
  delta,
  subagentRunId: sub,
});
const toolEnd = (id: string): AgUiEvent => ({ type: EventType.TOOL_CALL_END, toolCallId: id });
const result = (id: string, content: string, sub?: string): AgUiEvent => ({
  type: EventType.TOOL_CALL_RESULT,
  messageId: `res-${id}`,
  toolCallId: id,
  content,
  role: "tool",
  subagentRunId: sub,
});

export const SUB = "5ab0a6e7-0000-4000-8000-0000000000a1";

/** orchestrator → ask_usage_analyst → (usage_analyst → llm_usage → summary) → answer. */
export function successRun(runId = "run-ok"): RunEvent[] {
  const usage = `{"calls":7,"inputTokens":2940,"outputTokens":266,"costUsd":0.0042}`;
  const summary = "7 calls today, $0.0042 in total.";
  return numbered(runId, [
    runStarted(runId, "How much did we spend on LLM calls today?"),
    status("glassbox", "starting"),
    log("info", "glassbox", "glassbox.runs", "Run started by u-1 with glassbox", 0),
    status("glassbox", "working"),
    progress(0, 1, 2, "Understanding your question"),
    { type: EventType.STEP_STARTED, stepName: "glassbox step 1" },
    llmStarted("span-root-1", "glassbox"),
    toolStart("tc-ask", "ask_usage_analyst", "span-root-1"),
    args("tc-ask", `{"task": "Total LLM `),
    args("tc-ask", `spend today"}`),
    llmFinished("span-root-1", "glassbox"),
    toolEnd("tc-ask"),
    { type: EventType.STEP_FINISHED, stepName: "glassbox step 1" },
    {
      type: EventType.SUBAGENT_STARTED,
      subagentRunId: SUB,
      name: "usage_analyst",
      description: "Usage analyst",
      parentToolCallId: "tc-ask",
    },
    status("usage_analyst", "starting", SUB, "Total LLM spend today"),
    status("usage_analyst", "working", SUB),
    progress(25, 2, 4, "Usage analyst is working on it"),
    llmStarted("span-sub-1", "usage_analyst", SUB),
    toolStart("tc-usage", "llm_usage", "span-sub-1", SUB),
    args("tc-usage", `{"period":"today"}`, SUB),
    llmFinished("span-sub-1", "usage_analyst", SUB, { inputTokens: 610, outputTokens: 22 }),
    toolEnd("tc-usage"),
    progress(50, 3, 6, "Looking up LLM usage"),
    log("info", "usage_analyst", "glassbox.tool.llm_usage", "Tool llm_usage answered in 12 ms", 1),
    result("tc-usage", usage, SUB),
    progress(60, 4, 6, "Usage analyst is summarising"),
    llmStarted("span-sub-2", "usage_analyst", SUB, "chat_final"),
    ...text("msg-sub", ["7 calls today, ", "$0.0042 in total."], SUB),
    llmFinished("span-sub-2", "usage_analyst", SUB, { costUsd: null }),
    { type: EventType.TEXT_MESSAGE_END, messageId: "msg-sub", subagentRunId: SUB },
    { type: EventType.SUBAGENT_FINISHED, subagentRunId: SUB, result: summary },
    status("usage_analyst", "completed", SUB),
    result("tc-ask", summary),
    progress(83, 5, 6, "Writing the answer"),
    llmStarted("span-root-2", "glassbox", undefined, "chat_final"),
    ...text("msg-answer", ANSWER.match(/.{1,12}/gs)!),
    llmFinished("span-root-2", "glassbox", undefined, { outputTokens: 41, durationMs: 1530 }),
    { type: EventType.TEXT_MESSAGE_END, messageId: "msg-answer" },
    status("glassbox", "completed"),
    log("warning", "glassbox", "glassbox.cost", "Price unknown for glassbox-demo-1", 3),
    progress(100, 6, 6, "Done"),
    {
      type: EventType.RUN_FINISHED,
      threadId: CONVERSATION_ID,
      runId,
      result: {
        answer: ANSWER,
        llmCalls: 4,
        inputTokens: 2070,
        outputTokens: 139,
        costUsd: null,
        durationMs: 4210,
      },
      outcome: { type: "success" },
    },
  ]);
}

/** The first LLM call fails after its retries. */
export function failedRun(runId = "run-failed"): RunEvent[] {
  return numbered(runId, [
    runStarted(runId, "What time is it in Tokyo?"),
    status("glassbox", "starting"),
    status("glassbox", "working"),
    progress(0, 1, 2, "Understanding your question"),
    llmStarted("span-f-1", "glassbox"),
    llmFinished("span-f-1", "glassbox", undefined, {
      status: "error",
      inputTokens: null,
      outputTokens: null,
      costUsd: null,
      ttftMs: null,
      errorMessage: "429 Too Many Requests",
    }),
    log("error", "glassbox", "glassbox.runs", "Run failed: 429 Too Many Requests", 2),
    status("glassbox", "error", undefined, "429 Too Many Requests"),
    progress(0, 1, 2, "Failed"),
    { type: EventType.RUN_ERROR, message: "429 Too Many Requests", code: "rate_limited" },
  ], 2000);
}

/** Stopped by the user while the answer was streaming. */
export function cancelledRun(runId = "run-cancelled"): RunEvent[] {
  return numbered(runId, [
    runStarted(runId, "Write a long report"),
    status("glassbox", "starting"),
    status("glassbox", "working"),
    progress(0, 1, 2, "Understanding your question"),
    llmStarted("span-c-1", "glassbox"),
    ...text("msg-c", ["Here is the start ", "of a long report"]),
    llmFinished("span-c-1", "glassbox", undefined, { status: "cancelled", outputTokens: 9 }),
    { type: EventType.TEXT_MESSAGE_END, messageId: "msg-c" },
    status("glassbox", "idle", undefined, "cancelled"),
    progress(0, 1, 2, "Stopped"),
    {
      type: EventType.RUN_FINISHED,
      threadId: CONVERSATION_ID,
      runId,
      result: {
        answer: "",
        llmCalls: 1,
        inputTokens: 420,
        outputTokens: 9,
        costUsd: 0.0001,
        durationMs: 950,
      },
      outcome: { type: "cancelled" },
    },
  ], 3000);
}

/** Hostile text everywhere a model, a tool or a user can put it. */
export function hostileRun(runId = "run-hostile"): RunEvent[] {
  return numbered(runId, [
    runStarted(runId, HOSTILE),
    llmStarted("span-h-1", HOSTILE),
    toolStart("tc-h", HOSTILE, "span-h-1"),
    args("tc-h", HOSTILE),
    result("tc-h", HOSTILE),
    ...text("msg-h", [HOSTILE, "[x](javascript:alert(1))"]),
    log("error", HOSTILE, HOSTILE, HOSTILE),
    progress(50, 1, 2, HOSTILE),
    status(HOSTILE, "error", undefined, HOSTILE),
    { type: EventType.RUN_ERROR, message: HOSTILE, code: HOSTILE },
  ], 4000);
}
