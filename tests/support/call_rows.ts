/** An llm_calls row for tests and benchmarks of what reads them (budgets): usage as given. */
import type { LlmCallRow } from "../../db/llm_calls.ts";
import { LOCAL_USER_ID } from "../../db/users.ts";

export function callRow(over: Partial<LlmCallRow> = {}): LlmCallRow {
  const now = new Date();
  return {
    id: crypto.randomUUID(),
    runId: null,
    spanId: "span",
    parentSpanId: null,
    conversationId: null,
    userId: LOCAL_USER_ID,
    agentName: "planner",
    operation: "chat",
    provider: "test",
    requestModel: "model-small",
    responseModel: null,
    responseId: null,
    requestParams: {},
    attempt: 1,
    prompt: null,
    response: null,
    toolDefinitions: null,
    toolCalls: null,
    finishReasons: null,
    inputTokens: 1000,
    outputTokens: 100,
    cachedTokens: null,
    cacheWriteTokens: null,
    reasoningTokens: null,
    usageSource: "provider",
    costUsd: 0.002,
    estimatedInputTokens: null,
    estimatedOutputTokens: null,
    estimatedCostUsd: null,
    startedAt: now,
    firstChunkAt: null,
    endedAt: now,
    durationMs: 1,
    status: "ok",
    errorType: null,
    errorMessage: null,
    metadata: {},
    ...over,
  };
}
