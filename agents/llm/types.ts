/** What callers give the recording LLM client and get back: request, scope, observer, result. */
import type OpenAI from "openai";
import type { LlmCallFailure, LlmCallFinishedValue, LlmCallStartedValue } from "../spine/events.ts";
import type { ModelPrice } from "./cost.ts";

export type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;
export type ChatTool = OpenAI.Chat.ChatCompletionTool;

export interface LlmRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  temperature?: number;
  maxTokens?: number;
}

/** Who made an LLM call and why: becomes columns of its llm_calls rows. */
export interface LlmCallScope {
  runId: string | null;
  conversationId: string | null;
  /** Whose call it is (a run's owner); every call has one. */
  userId: string;
  agentName: string;
  /** OTel gen_ai.operation.name-like: "chat", "tool_selection", "summary"… */
  operation: string;
  parentSpanId: string | null;
  subagentRunId?: string;
  signal?: AbortSignal;
  metadata?: Record<string, unknown>;
}

/** Callbacks while a streamed call runs; the runtime turns them into events. */
export interface LlmStreamObserver {
  /** Once per attempt, before the HTTP request is sent. */
  onCallStarted?(value: LlmCallStartedValue): void;
  onTextDelta?(delta: string): void;
  /** When a tool call's id and name first arrive. */
  onToolCallStart?(call: { index: number; id: string; name: string }): void;
  /** Each fragment of a tool call's JSON arguments, as it arrives. */
  onToolCallArgs?(toolCallId: string, delta: string): void;
  /** Once per attempt, after its llm_calls row is written. */
  onCallFinished?(value: LlmCallFinishedValue): void;
}

export interface LlmToolCall {
  id: string;
  name: string;
  /** The joined JSON text, as the model sent it (may be invalid JSON). */
  arguments: string;
}

export interface LlmResult {
  callId: string;
  spanId: string;
  model: string;
  text: string;
  toolCalls: LlmToolCall[];
  finishReason: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
}

/** Thrown when a call (after its retries) did not succeed; its rows are already written. */
export class LlmCallError extends Error {
  constructor(
    readonly status: LlmCallFailure,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = "LlmCallError";
  }
}

export interface LlmClient {
  /** Streams with usage requested; one llm_calls row per attempt. */
  stream(req: LlmRequest, scope: LlmCallScope, observer?: LlmStreamObserver): Promise<LlmResult>;
  /** Non-streaming; one llm_calls row per attempt. */
  complete(req: LlmRequest, scope: LlmCallScope): Promise<LlmResult>;
  /** "openai", "ollama", "glassbox-demo"… as recorded in llm_calls.provider. */
  readonly provider: string;
  /** The model's price in this provider's table; undefined: unpriced. */
  price(model: string): ModelPrice | undefined;
}
