/** How one attempt ended, and the llm_calls row and observer event that record it. */
import OpenAI from "openai";
import type { ContentLogging } from "../../config/logging.ts";
import type { LlmCallRow } from "../../db/llm_calls.ts";
import type { LlmCallFailure, LlmCallFinishedValue } from "../spine/events.ts";
import { callCostUsd, type PriceTable } from "./cost.ts";
import { promptTokens, tokensOfText } from "../budgets/estimate.ts";
import { promptForLog, textForLog, toolCallsForLog } from "./content_policy.ts";
import { storable, storableJson } from "../spine/text.ts";
import { ObserverError, type ResponseAccumulator } from "./stream.ts";
import type { LlmCallScope, LlmRequest, LlmResult } from "./types.ts";

export interface Failure {
  status: LlmCallFailure;
  /** http_429, http_500…, network, incomplete_stream, timeout, cancelled, observer… */
  errorType: string;
  message: string;
  /** The error response's headers, for Retry-After. */
  headers?: Headers;
}

export type AttemptOutcome =
  | { status: "ok"; result: LlmResult }
  | {
    status: Failure["status"];
    errorType: string;
    errorMessage: string;
    retryable: boolean;
    headers?: Headers;
  };

/** Null when the attempt succeeded. Who aborted is checked first: openai hides it. */
export function classifyFailure(a: {
  endedBy: "cancelled" | "timeout" | null;
  failure: unknown;
  streaming: boolean;
  acc: ResponseAccumulator;
  idleTimeoutMs: number;
  scope: LlmCallScope;
}): Failure | null {
  if (a.endedBy === "timeout") {
    const what = a.streaming ? "no data from the model" : "no response from the model";
    return {
      status: "timeout",
      errorType: "timeout",
      message: `${what} for ${a.idleTimeoutMs} ms`,
    };
  }
  if (a.endedBy === "cancelled") {
    const reason = a.scope.signal?.reason;
    const why = reason instanceof Error && reason.message ? `: ${reason.message}` : "";
    return {
      status: "cancelled",
      errorType: "cancelled",
      message: `cancelled by the caller${why}`,
    };
  }
  const err = a.failure;
  if (err === null) {
    // openai also ends quietly when the server closes the stream early; a complete stream always
    // carries a finish_reason.
    return a.streaming && a.acc.finishReason === null
      ? {
        status: "error",
        errorType: "incomplete_stream",
        message: "the stream ended before the model finished",
      }
      : null;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ObserverError) return { status: "error", errorType: "observer", message };
  if (err instanceof OpenAI.APIConnectionError) {
    return { status: "error", errorType: "network", message };
  }
  if (err instanceof OpenAI.APIError) {
    return typeof err.status === "number"
      ? { status: "error", errorType: `http_${err.status}`, message, headers: err.headers }
      // An error event inside a 200 stream.
      : { status: "error", errorType: "provider_error", message };
  }
  // fetch and body reads fail with TypeError when the connection breaks mid-response.
  if (err instanceof TypeError) return { status: "error", errorType: "network", message };
  if (err instanceof SyntaxError) {
    return { status: "error", errorType: "invalid_response", message };
  }
  return { status: "error", errorType: "unexpected", message };
}

export function buildRow(a: {
  provider: string;
  contentLogging: ContentLogging;
  prices: PriceTable;
  ids: { callId: string; spanId: string };
  req: LlmRequest;
  scope: LlmCallScope;
  /** The request body as sent. */
  body: object;
  attempt: number;
  acc: ResponseAccumulator;
  fail: Failure | null;
  startedAt: number;
  endedAt: number;
}): LlmCallRow {
  const { acc, scope, req, fail } = a;
  const usage = acc.usage;
  // request_params: what was sent besides the model, the prompt and the tools (own columns).
  const { model: _m, messages: _p, tools: _t, ...requestParams } = a.body as Record<
    string,
    unknown
  >;
  const metadata = {
    ...scope.metadata,
    ...(scope.subagentRunId && { subagentRunId: scope.subagentRunId }),
  };
  return {
    id: a.ids.callId,
    runId: scope.runId,
    spanId: a.ids.spanId,
    parentSpanId: scope.parentSpanId,
    conversationId: scope.conversationId,
    userId: scope.userId,
    agentName: scope.agentName,
    operation: scope.operation,
    provider: a.provider,
    requestModel: req.model,
    responseModel: acc.responseModel,
    responseId: acc.responseId,
    requestParams,
    attempt: a.attempt,
    prompt: promptForLog(req.messages, a.contentLogging),
    response: textForLog(acc.text, a.contentLogging),
    toolDefinitions: req.tools?.length ? storableJson(req.tools) as unknown[] : null,
    toolCalls: toolCallsForLog(acc.toolCalls, a.contentLogging),
    finishReasons: acc.finishReason === null ? null : [acc.finishReason],
    inputTokens: usage?.inputTokens ?? null,
    outputTokens: usage?.outputTokens ?? null,
    cachedTokens: usage?.cachedTokens ?? null,
    cacheWriteTokens: usage?.cacheWriteTokens ?? null,
    reasoningTokens: usage?.reasoningTokens ?? null,
    usageSource: usage ? "provider" : "none",
    costUsd: callCostUsd(a.prices, req.model, acc.responseModel, usage),
    ...estimatedUsage(a.prices, req, acc),
    startedAt: new Date(a.startedAt),
    firstChunkAt: acc.firstChunkAt === null ? null : new Date(acc.firstChunkAt),
    endedAt: new Date(a.endedAt),
    durationMs: a.endedAt - a.startedAt,
    status: fail?.status ?? "ok",
    errorType: fail?.errorType ?? null,
    errorMessage: fail ? storable(fail.message) : null,
    metadata: storableJson(metadata) as Record<string, unknown>,
  };
}

/**
 * A call the provider answered without reporting usage (a stream cut by a budget, cancelled,
 * timed out or broken before its usage chunk; a server that never reports it) still cost
 * something: estimated the way the pre-flight check does — the prompt at 4 characters of its JSON
 * a token, the text and tool arguments that arrived likewise — and priced from the table (null:
 * unpriced). Only when the provider answered at all: a refused or unreachable call is not billed.
 * The provider's own columns stay null; budgets count the estimate (db/budgets.ts).
 */
export function estimatedUsage(
  prices: PriceTable,
  req: Pick<LlmRequest, "model" | "messages" | "tools">,
  acc: ResponseAccumulator,
): Pick<LlmCallRow, "estimatedInputTokens" | "estimatedOutputTokens" | "estimatedCostUsd"> {
  const calls = acc.toolCalls;
  const answered = acc.firstChunkAt !== null || acc.text !== "" || calls.length > 0;
  if (acc.usage || !answered) {
    return { estimatedInputTokens: null, estimatedOutputTokens: null, estimatedCostUsd: null };
  }
  const inputTokens = promptTokens(req);
  const outputChars = calls.reduce((n, c) => n + c.arguments.length, acc.text.length);
  const outputTokens = tokensOfText(outputChars);
  return {
    estimatedInputTokens: inputTokens,
    estimatedOutputTokens: outputTokens,
    estimatedCostUsd: callCostUsd(prices, req.model, acc.responseModel, {
      inputTokens,
      outputTokens,
      cachedTokens: null,
      cacheWriteTokens: null,
      reasoningTokens: null,
    }),
  };
}

export function finishedValue(
  row: LlmCallRow,
  scope: LlmCallScope,
  ttftMs: number | null,
): LlmCallFinishedValue {
  return {
    callId: row.id,
    spanId: row.spanId,
    agent: scope.agentName,
    ...(scope.subagentRunId && { subagentRunId: scope.subagentRunId }),
    provider: row.provider,
    model: row.requestModel,
    responseModel: row.responseModel,
    status: row.status,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    costUsd: row.costUsd,
    durationMs: row.durationMs,
    ttftMs,
    finishReason: row.finishReasons?.[0] ?? null,
    errorMessage: row.errorMessage,
  };
}
