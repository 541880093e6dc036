/**
 * Event values to view shapes, shared by the fold and the live encoder: a node built from its
 * start event is the same object either way, so the live fragment equals the page render.
 */
import type { SubagentStartedEvent, ToolCallStartEvent } from "@ag-ui/core";
import type { LlmCallFinishedValue, LlmCallStartedValue } from "../../agents/spine/events.ts";
import { ids } from "./dom_ids.ts";
import type {
  AgentNodeView,
  LlmCallView,
  LlmNodeView,
  MessageNodeView,
  ToolNodeView,
} from "./run_view.ts";

/** The runtime reports a failed tool to the model as text starting with "error:". */
export function toolResultState(content: string): "done" | "error" {
  return /^error:/i.test(content.trimStart()) ? "error" : "done";
}

/** The LLM call that asked for a tool (TOOL_CALL_START metadata.spanId). */
export function toolSpanId(e: ToolCallStartEvent): string | undefined {
  const spanId = e.metadata?.spanId;
  return typeof spanId === "string" && spanId ? spanId : undefined;
}

export function rootNode(runId: string, name: string, title: string): AgentNodeView {
  return {
    kind: "agent",
    nodeId: ids.rootNode(runId),
    subagentRunId: null,
    name,
    title,
    status: "idle",
    detail: null,
    children: [],
  };
}

export function subagentNode(e: SubagentStartedEvent): AgentNodeView {
  return {
    kind: "agent",
    nodeId: ids.agentNode(e.subagentRunId),
    subagentRunId: e.subagentRunId,
    name: e.name,
    title: e.description || e.name,
    status: "starting",
    detail: null,
    children: [],
  };
}

export function toolNode(e: ToolCallStartEvent): ToolNodeView {
  const server = e.metadata?.server;
  return {
    kind: "tool",
    nodeId: ids.toolNode(e.toolCallId),
    toolCallId: e.toolCallId,
    name: e.toolCallName,
    server: typeof server === "string" && server ? server : null,
    status: "streaming",
    args: "",
    result: null,
    children: [],
  };
}

export function messageNode(messageId: string): MessageNodeView {
  return { kind: "message", nodeId: ids.messageNode(messageId), messageId, text: "" };
}

export function llmNode(s: LlmCallStartedValue): LlmNodeView {
  const call = startedCall(s);
  const { operation, attempt } = s;
  return { kind: "llm", nodeId: ids.llmNode(s.spanId), call, operation, attempt, children: [] };
}

export function startedCall(s: LlmCallStartedValue): LlmCallView {
  return {
    callId: s.callId,
    spanId: s.spanId,
    agent: s.agent,
    model: s.model,
    status: "running",
    inputTokens: null,
    outputTokens: null,
    costUsd: null,
    durationMs: null,
    ttftMs: null,
    errorMessage: null,
  };
}

export function finishedCall(f: LlmCallFinishedValue): LlmCallView {
  return {
    callId: f.callId,
    spanId: f.spanId,
    agent: f.agent,
    model: f.responseModel ?? f.model,
    status: f.status,
    inputTokens: f.inputTokens,
    outputTokens: f.outputTokens,
    costUsd: f.costUsd,
    durationMs: f.durationMs,
    ttftMs: f.ttftMs,
    errorMessage: f.errorMessage,
  };
}
