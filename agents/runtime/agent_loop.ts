/**
 * The agent loop: a streamed LLM call, then the tools it asked for (a sub-agent is one of them),
 * then the next call with their results, until the model answers in text or the step limit is
 * reached (the last step is offered no tools, so the model must answer). Everything it does is
 * emitted as events into the run's scope; it never renders anything.
 */
import { CUSTOM, custom, EventType, type LlmCallFinishedValue } from "../spine/events.ts";
import { getLogger } from "../logging/logging.ts";
import { type RunToolCall, runToolCall } from "./tool_calls.ts";
import type { RunScope } from "./run_scope.ts";
import { type ToolSet, toolSet } from "./tool_set.ts";
import type { ChatMessage, LlmToolCall } from "../llm/types.ts";
import type { AgentDef } from "./types.ts";

const log = getLogger("runtime");
const DEFAULT_MAX_STEPS = 6;

/** Where an agent runs in the tree: the root agent has no subagentRunId. */
export interface AgentPosition {
  subagentRunId?: string;
  parentSpanId: string | null;
}

/** Runs `agent` on `messages` (system prompt first); returns its final text answer. */
export async function runAgent(
  agent: AgentDef,
  messages: ChatMessage[],
  scope: RunScope,
  at: AgentPosition,
): Promise<string> {
  const sub = at.subagentRunId;
  const maxSteps = agent.maxSteps ?? DEFAULT_MAX_STEPS;
  scope.agentStatus(agent.name, "working", sub);
  for (let step = 1; step <= maxSteps; step++) {
    scope.signal.throwIfAborted();
    const first = step === 1;
    // Looked up every step: MCP servers come, go and change their tools while a run works.
    const tools = toolSet(agent);
    if (first && tools.unavailable.length > 0) tellUnavailable(tools, messages);
    const done = scope.progress.begin(
      sub
        ? `${agent.title} ${first ? "is working on it" : "is summarising"}`
        : first
        ? "Understanding your question"
        : "Writing the answer",
    );
    const stepName = `${agent.name}${sub ? `#${sub.slice(0, 8)}` : ""} step ${step}`;
    scope.emit({ type: EventType.STEP_STARTED, stepName, subagentRunId: sub });
    const offerTools = tools.chat.length > 0 && step < maxSteps;
    const result = await callModel(agent, messages, scope, at, offerTools ? tools : undefined);
    scope.emit({ type: EventType.STEP_FINISHED, stepName, subagentRunId: sub });
    done();
    if (result.toolCalls.length === 0) return result.text;

    // Each tool call is a step, and the model will need one more round to use the results.
    scope.progress.plan(result.toolCalls.length + 1);
    messages.push({
      role: "assistant",
      content: result.text || null,
      tool_calls: result.toolCalls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: c.arguments },
      })),
    });
    // The calls run side by side (two sub-agents work at once); results go back in call order.
    // Sub-agents' LLM calls are children of the call that asked for them.
    const settled = await Promise.allSettled(
      result.calls.map((call) =>
        runToolCall(agent, tools, call, scope, { ...at, parentSpanId: result.spanId })
      ),
    );
    for (const [i, s] of settled.entries()) {
      if (s.status === "rejected") throw s.reason; // only a cancel gets here: tools report errors
      messages.push({ role: "tool", tool_call_id: result.toolCalls[i].id, content: s.value });
    }
  }
  throw new Error(`${agent.name} did not answer within ${maxSteps} steps`);
}

/** The model learns which tool servers are down, so it can say so instead of guessing. */
function tellUnavailable(tools: ToolSet, messages: ChatMessage[]): void {
  for (const why of tools.unavailable) log.warn("{why}; its tools are missing", { why });
  messages.push({
    role: "system",
    content: `Some of your tools are unavailable right now: ${tools.unavailable.join("; ")}. ` +
      "If the task needs them, say so.",
  });
}

async function callModel(
  agent: AgentDef,
  messages: ChatMessage[],
  scope: RunScope,
  at: AgentPosition,
  tools: ToolSet | undefined,
) {
  const sub = at.subagentRunId;
  const messageId = crypto.randomUUID();
  const callIds = new ToolCallIds(messageId);
  let spanId = "";
  let started = false;
  // Budgets and guards first: a call that may not be made is never sent.
  const meter = await scope.guard?.beforeCall({
    agentName: agent.name,
    model: agent.model,
    price: agent.llm.price(agent.model),
    messages,
    tools: tools?.chat,
  });
  let finished: LlmCallFinishedValue | null = null;
  const result = await agent.llm.stream(
    {
      model: agent.model,
      messages,
      tools: tools?.chat,
      ...(agent.temperature !== undefined && { temperature: agent.temperature }),
    },
    {
      ...scope.ids,
      agentName: agent.name,
      operation: tools ? "chat" : "chat_final",
      parentSpanId: at.parentSpanId,
      subagentRunId: sub,
      signal: scope.signal,
    },
    {
      onCallStarted(v) {
        spanId = v.spanId;
        scope.emit(custom(CUSTOM.llmCallStarted, v, sub));
        log.debug("LLM call to {model} (attempt {attempt})", {
          model: v.model,
          attempt: v.attempt,
        });
      },
      onTextDelta(delta) {
        if (!started) {
          started = true;
          scope.emit({
            type: EventType.TEXT_MESSAGE_START,
            messageId,
            role: "assistant",
            subagentRunId: sub,
          });
        }
        scope.emit({ type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta, subagentRunId: sub });
        meter?.output(delta.length);
      },
      onToolCallStart(call) {
        // An MCP tool names its server, which the tree shows beside it.
        const server = tools?.tools.get(call.name)?.server;
        scope.emit({
          type: EventType.TOOL_CALL_START,
          toolCallId: callIds.start(call.id),
          toolCallName: call.name,
          parentMessageId: messageId,
          subagentRunId: sub,
          metadata: { spanId, providerToolCallId: call.id, ...(server && { server }) },
        });
      },
      onToolCallArgs(providerId, delta) {
        const toolCallId = callIds.current(providerId);
        scope.emit({ type: EventType.TOOL_CALL_ARGS, toolCallId, delta, subagentRunId: sub });
        meter?.output(delta.length);
      },
      onCallFinished(v) {
        finished = v;
        scope.countCall(v);
        scope.emit(custom(CUSTOM.llmCallFinished, v, sub));
        const level = v.status === "ok" ? "info" : "warn";
        log[level]("LLM call {status}: {inputTokens} in / {outputTokens} out in {durationMs} ms", {
          ...v,
          durationMs: Math.round(v.durationMs),
        });
      },
    },
  ).finally(() => meter?.end(finished));
  if (started) scope.emit({ type: EventType.TEXT_MESSAGE_END, messageId, subagentRunId: sub });
  const calls = callIds.finished(result.toolCalls);
  for (const call of calls) {
    scope.emit({ type: EventType.TOOL_CALL_END, toolCallId: call.eventId, subagentRunId: sub });
  }
  return { ...result, calls };
}

/**
 * A provider's tool-call ids are its own: unique within one response at best (some servers send
 * "call_0" every time, or the same id twice). They go back to the provider as they came, but the
 * events — which key coalescing, open calls and DOM ids — carry `<message id>-t<n>`, unique in
 * the run.
 */
class ToolCallIds {
  readonly #started: { providerId: string; eventId: string }[] = [];
  constructor(private readonly messageId: string) {}

  start(providerId: string): string {
    const eventId = `${this.messageId}-t${this.#started.length + 1}`;
    this.#started.push({ providerId, eventId });
    return eventId;
  }

  /** The latest started call with that provider id: argument deltas follow their start. */
  current(providerId: string): string {
    return this.#started.findLast((s) => s.providerId === providerId)?.eventId ??
      this.start(providerId);
  }

  /** The finished calls with their event ids, each provider id matched to its own start. */
  finished(calls: LlmToolCall[]): RunToolCall[] {
    const unmatched = [...this.#started];
    return calls.map((call) => {
      const i = unmatched.findIndex((s) => s.providerId === call.id);
      const eventId = i >= 0 ? unmatched.splice(i, 1)[0].eventId : this.start(call.id);
      return { ...call, eventId };
    });
  }
}
