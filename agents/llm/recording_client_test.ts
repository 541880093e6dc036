/**
 * RecordingLlmClient against a real Postgres (a fresh database per test) and the scripted
 * OpenAI-compatible server over real HTTP; one case runs on embedded PGlite.
 */
import assert from "node:assert/strict";
import {
  createOpenAi,
  RecordingLlmClient,
  type RecordingLlmClientOptions,
} from "./recording_client.ts";
import { LlmCallError, type LlmCallScope, type LlmStreamObserver } from "./types.ts";
import { callCostUsd } from "./cost.ts";
import { backoffMs, isRetryable, RETRY_AFTER_CAP_MS, retryAfterMs } from "./retry.ts";
import {
  insertLlmCall,
  listLlmCalls,
  LlmCallQueryError,
  type LlmCallRow,
  llmCallsForRun,
} from "../../db/llm_calls.ts";
import type { Database } from "../../db/client.ts";
import { LlmCallRecorder } from "./call_recorder.ts";
import { freshPglite, freshPostgres, skipWithoutPostgres } from "../../tests/support/db.ts";
import { type Script, startScriptedLlm } from "../../tests/support/scripted_llm.ts";
import { insertUser } from "../../tests/support/users.ts";
import { ALL, EVERYONE } from "../../db/owner.ts";

const noPostgres = await skipWithoutPostgres();
const PRICES = { "test-model": { input: 2, output: 8, cachedInput: 0.5 } };
const SPAN = /^[0-9a-f]{16}$/;

type Options = Partial<Omit<RecordingLlmClientOptions, "openai" | "recorder">> & {
  fetch?: typeof fetch;
  embedded?: boolean;
};

async function harness(scripts: Script[], opts: Options = {}) {
  const { fetch: customFetch, embedded, ...clientOpts } = opts;
  const db: Database = embedded ? await freshPglite() : await freshPostgres();
  const llm = startScriptedLlm(scripts);
  const store = new LlmCallRecorder(db.sql, { flushMs: 1 });
  /** Every row the client recorded, as it recorded it (queued; `stored()` waits for storage). */
  const recorded: LlmCallRow[] = [];
  const client = new RecordingLlmClient({
    openai: createOpenAi({ baseURL: llm.url, apiKey: "test-key", fetch: customFetch }),
    recorder: { record: (row) => void (recorded.push(row), store.record(row)) },
    provider: "scripted",
    contentLogging: { mode: "full" },
    prices: PRICES,
    idleTimeoutMs: 2_000,
    maxAttempts: 3,
    backoffBaseMs: 1,
    ...clientOpts,
  });
  const conversationId = crypto.randomUUID();
  const runId = crypto.randomUUID();
  const userId = await insertUser(db.sql, "u1@example.com");
  await db.sql`INSERT INTO conversations (id, user_id) VALUES (${conversationId}, ${userId})`;
  await db.sql`INSERT INTO runs (id, conversation_id, user_id, agent)
               VALUES (${runId}, ${conversationId}, ${userId}, 'tester')`;
  const scope = (over: Partial<LlmCallScope> = {}): LlmCallScope => ({
    runId,
    conversationId,
    userId,
    agentName: "tester",
    operation: "chat",
    parentSpanId: "00f067aa0ba902b7",
    metadata: { case: "test" },
    ...over,
  });
  return {
    sql: db.sql,
    llm,
    client,
    runId,
    conversationId,
    userId,
    scope,
    recorded,
    stored: () => store.flush(),
    rows: async () => {
      await store.flush();
      return llmCallsForRun(db.sql, runId);
    },
    async [Symbol.asyncDispose]() {
      await llm.close();
      await db.close();
    },
  };
}

const ask = (model = "test-model") => ({
  model,
  messages: [
    { role: "system" as const, content: "You are terse." },
    { role: "user" as const, content: "Say hello" },
  ],
  temperature: 0.2,
  maxTokens: 100,
});

/** Records every observer callback in order. */
function recorder() {
  const events: unknown[][] = [];
  const observer: Required<LlmStreamObserver> = {
    onCallStarted: (v) => events.push(["started", v.attempt, v.callId]),
    onTextDelta: (d) => events.push(["text", d]),
    onToolCallStart: (c) => events.push(["tool", c.index, c.id, c.name]),
    onToolCallArgs: (id, d) => events.push(["args", id, d]),
    onCallFinished: (v) => events.push(["finished", v.status, v.callId]),
  };
  return { events, observer, of: (kind: string) => events.filter((e) => e[0] === kind) };
}

/** Settles like p, but fails after ms instead of hanging when a timeout mechanism is broken. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

async function rejectsWith(p: Promise<unknown>, status: string, errorType: string) {
  const err = await within(10_000, p).then(() => null, (e) => e);
  assert.ok(err instanceof LlmCallError, `expected LlmCallError, got ${err}`);
  assert.equal(err.status, status);
  assert.equal(err.errorType, errorType);
  return err;
}

/** The scripted server's view of request i: "completed" or "disconnected" (or "still open"). */
function fate(llm: ReturnType<typeof startScriptedLlm>, i: number, ms = 2_000) {
  return Promise.race([
    llm.requests[i].ended,
    new Promise<string>((r) => setTimeout(() => r("still open"), ms)),
  ]);
}

const pgTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: noPostgres, fn });

pgTest("stream: text is recorded with usage, cost, timings and content", async () => {
  await using h = await harness([{
    kind: "text",
    chunks: ["Hel", "lo ", "world"],
    usage: { prompt_tokens: 1000, completion_tokens: 500, cached: 200, reasoning: 40 },
    delayMs: 5,
  }]);
  const rec = recorder();
  let rowsWhenFinished: number | undefined;
  const observer: LlmStreamObserver = {
    ...rec.observer,
    onCallFinished(v) {
      rec.observer.onCallFinished(v);
      rowsWhenFinished = h.recorded.length;
    },
  };
  const res = await h.client.stream(ask(), h.scope(), observer);

  assert.equal(res.text, "Hello world");
  assert.deepEqual(rec.of("text").map((e) => e[1]), ["Hel", "lo ", "world"]);
  // (800 × 2 + 200 × 0.5 + 500 × 8) / 1e6
  assert.equal(res.costUsd, 0.0057);
  assert.equal(res.inputTokens, 1000);
  assert.equal(res.outputTokens, 500);
  assert.equal(res.finishReason, "stop");

  const body = h.llm.requests[0].body;
  assert.equal(body.stream, true);
  assert.deepEqual(body.stream_options, { include_usage: true });
  assert.equal(body.temperature, 0.2);
  assert.equal(body.max_tokens, 100);

  const [row] = await h.rows();
  assert.equal((await h.rows()).length, 1);
  assert.equal(row.id, res.callId);
  assert.equal(row.spanId, res.spanId);
  assert.match(row.spanId, SPAN);
  assert.equal(row.parentSpanId, "00f067aa0ba902b7");
  assert.equal(row.conversationId, h.conversationId);
  assert.equal(row.userId, h.userId);
  assert.equal(row.agentName, "tester");
  assert.equal(row.operation, "chat");
  assert.equal(row.provider, "scripted");
  assert.equal(row.requestModel, "test-model");
  assert.equal(row.responseModel, "test-model");
  assert.match(row.responseId ?? "", /^chatcmpl-scripted-/);
  assert.equal(row.status, "ok");
  assert.equal(row.errorType, null);
  assert.equal(row.attempt, 1);
  assert.equal(row.usageSource, "provider");
  assert.equal(row.inputTokens, 1000);
  assert.equal(row.outputTokens, 500);
  assert.equal(row.cachedTokens, 200);
  assert.equal(row.reasoningTokens, 40);
  assert.equal(row.costUsd, 0.0057);
  assert.deepEqual(row.finishReasons, ["stop"]);
  assert.equal(row.response, "Hello world");
  assert.deepEqual(row.prompt, ask().messages);
  assert.equal(row.toolDefinitions, null);
  assert.equal(row.toolCalls, null);
  assert.deepEqual(row.requestParams, {
    temperature: 0.2,
    max_tokens: 100,
    stream: true,
    stream_options: { include_usage: true },
  });
  assert.deepEqual(row.metadata, { case: "test" });
  assert.ok(row.firstChunkAt, "first_chunk_at set");
  assert.ok(row.startedAt < row.firstChunkAt, "first chunk after start (5 ms delay per chunk)");
  assert.ok(row.firstChunkAt <= row.endedAt);
  assert.ok(row.durationMs >= 15, `3 delayed chunks take >= 15 ms, got ${row.durationMs}`);

  // Observer: started before, finished after, once each, for this row; it was recorded by then.
  assert.equal(rowsWhenFinished, 1);
  assert.deepEqual(rec.events[0], ["started", 1, row.id]);
  assert.deepEqual(rec.events.at(-1), ["finished", "ok", row.id]);
  assert.equal(rec.of("started").length, 1);
  assert.equal(rec.of("finished").length, 1);
  await h.stored();
  const [{ kind }] = await h.sql`SELECT jsonb_typeof(prompt) AS kind FROM llm_calls`;
  assert.equal(kind, "array");
});

pgTest("stream: the cost falls back to the response model's price", async () => {
  await using h = await harness([{
    kind: "text",
    chunks: ["x"],
    model: "test-model",
    usage: { prompt_tokens: 1_000_000, completion_tokens: 0 },
  }]);
  const res = await h.client.stream(ask("alias-of-test-model"), h.scope());
  assert.equal(res.costUsd, 2);
  assert.equal(res.model, "test-model");
  const [row] = await h.rows();
  assert.equal(row.requestModel, "alias-of-test-model");
  assert.equal(row.responseModel, "test-model");
  assert.equal(row.costUsd, 2);
});

pgTest(
  "stream: fragmented tool-call arguments are joined; the observer sees them in order",
  async () => {
    const tools = [{
      type: "function" as const,
      function: { name: "weather", parameters: { type: "object" } },
    }];
    await using h = await harness([{
      kind: "tool_calls",
      calls: [
        { id: "call_a", name: "weather", argFragments: ['{"ci', 'ty":"Pa', 'ris"}'] },
        { id: "call_b", name: "clock", argFragments: ["{", "}"] },
      ],
    }]);
    const rec = recorder();
    const res = await h.client.stream({ ...ask(), tools }, h.scope(), rec.observer);

    assert.deepEqual(res.toolCalls, [
      { id: "call_a", name: "weather", arguments: '{"city":"Paris"}' },
      { id: "call_b", name: "clock", arguments: "{}" },
    ]);
    assert.equal(res.finishReason, "tool_calls");
    assert.deepEqual(rec.events.filter((e) => e[0] === "tool" || e[0] === "args"), [
      ["tool", 0, "call_a", "weather"],
      ["args", "call_a", '{"ci'],
      ["args", "call_a", 'ty":"Pa'],
      ["args", "call_a", 'ris"}'],
      ["tool", 1, "call_b", "clock"],
      ["args", "call_b", "{"],
      ["args", "call_b", "}"],
    ]);
    assert.deepEqual(h.llm.requests[0].body.tools, tools);
    const [row] = await h.rows();
    assert.deepEqual(row.toolCalls, [
      { id: "call_a", name: "weather", arguments: '{"city":"Paris"}' },
      { id: "call_b", name: "clock", arguments: "{}" },
    ]);
    assert.deepEqual(row.toolDefinitions, tools);
    assert.deepEqual(row.finishReasons, ["tool_calls"]);
    assert.equal(row.response, null);
    assert.equal(row.status, "ok");
  },
);

pgTest("stream: provider quirks — name after arguments, every call at index 0", async () => {
  const chunk = (delta: unknown, finish: string | null = null) => ({
    id: "raw-1",
    model: "test-model",
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const tc = (t: Record<string, unknown>) => chunk({ tool_calls: [t] });
  await using h = await harness([{
    kind: "raw",
    events: [
      // The id first, then an argument fragment, then the name: the start waits for the name
      // and the early fragment follows it.
      tc({ index: 0, id: "call_1" }),
      tc({ index: 0, function: { arguments: '{"a":' } }),
      tc({ index: 0, function: { name: "first" } }),
      tc({ index: 0, function: { arguments: "1}" } }),
      // Older Ollama: a second call reusing index 0, whole in one chunk.
      tc({ index: 0, id: "call_2", function: { name: "second", arguments: "{}" } }),
      chunk({}, "tool_calls"),
    ],
  }]);
  const rec = recorder();
  const res = await h.client.stream(ask(), h.scope(), rec.observer);
  assert.deepEqual(res.toolCalls, [
    { id: "call_1", name: "first", arguments: '{"a":1}' },
    { id: "call_2", name: "second", arguments: "{}" },
  ]);
  assert.deepEqual(rec.events.filter((e) => e[0] === "tool" || e[0] === "args"), [
    ["tool", 0, "call_1", "first"],
    ["args", "call_1", '{"a":'],
    ["args", "call_1", "1}"],
    ["tool", 0, "call_2", "second"],
    ["args", "call_2", "{}"],
  ]);
  const [row] = await h.rows();
  assert.equal(row.usageSource, "none", "no usage chunk was sent");
  // The tool calls' arguments are the output estimated: 9 characters, 3 tokens.
  assert.equal(row.estimatedOutputTokens, 3);
});

pgTest("stream: a slow but steady stream outlives the idle timeout", async () => {
  await using h = await harness([
    { kind: "slow", chunks: ["1", "2", "3", "4", "5", "6", "7", "8"], delayMs: 40 },
  ], { idleTimeoutMs: 150 });
  const res = await h.client.stream(ask(), h.scope());
  assert.equal(res.text, "12345678");
  const [row] = await h.rows();
  assert.equal(row.status, "ok");
  assert.ok(row.durationMs > 300, `longer in total than the idle timeout: ${row.durationMs} ms`);
});

pgTest("stream: no usage reported → usage_source none, NULL tokens and cost", async () => {
  await using h = await harness([{ kind: "text", chunks: ["hi"], usage: null }]);
  const res = await h.client.stream(ask(), h.scope());
  assert.equal(res.text, "hi");
  assert.equal(res.inputTokens, null);
  assert.equal(res.costUsd, null);
  await h.stored();
  const [row] = await h.sql`
    SELECT usage_source, input_tokens, output_tokens, cached_tokens, cost_usd, status
    FROM llm_calls`;
  assert.deepEqual({ ...row }, {
    usage_source: "none",
    input_tokens: null,
    output_tokens: null,
    cached_tokens: null,
    cost_usd: null,
    status: "ok",
  });
});

pgTest("stream: a model missing from the price table costs NULL, not 0", async () => {
  await using h = await harness([{ kind: "text", chunks: ["hi"] }]);
  const res = await h.client.stream(ask("unpriced-model"), h.scope());
  const [row] = await h.rows();
  assert.equal(res.costUsd, null);
  assert.equal(row.costUsd, null);
  assert.equal(row.usageSource, "provider");
  assert.equal(row.outputTokens, 1);
});

pgTest("retry: 429 with Retry-After, then success → two rows, the wait honoured", async () => {
  await using h = await harness([
    { kind: "status", status: 429, retryAfter: "1" },
    { kind: "text", chunks: ["ok"] },
  ]);
  const rec = recorder();
  const res = await h.client.stream(ask(), h.scope(), rec.observer);
  assert.equal(res.text, "ok");
  const rows = await h.rows();
  assert.deepEqual(rows.map((r) => [r.attempt, r.status, r.errorType]), [
    [1, "error", "http_429"],
    [2, "ok", null],
  ]);
  assert.equal(res.callId, rows[1].id);
  assert.notEqual(rows[0].spanId, rows[1].spanId);
  assert.equal(rows[0].parentSpanId, rows[1].parentSpanId);
  assert.match(rows[0].errorMessage ?? "", /429/);
  assert.equal(rows[0].usageSource, "none");
  const gap = rows[1].startedAt.getTime() - rows[0].endedAt.getTime();
  assert.ok(gap >= 950, `Retry-After: 1 honoured (backoff base is 1 ms), gap ${gap} ms`);
  assert.deepEqual(rec.of("started").map((e) => e[1]), [1, 2]);
  assert.deepEqual(rec.of("finished").map((e) => e[1]), ["error", "ok"]);
  assert.equal(h.llm.requests.length, 2);
});

pgTest("retry: 500 past maxAttempts → one error row per attempt, then LlmCallError", async () => {
  await using h = await harness([
    { kind: "status", status: 500 },
    { kind: "status", status: 502 },
    { kind: "status", status: 500 },
    { kind: "text", chunks: ["never reached"] },
  ], { maxAttempts: 3 });
  await rejectsWith(h.client.stream(ask(), h.scope()), "error", "http_500");
  const rows = await h.rows();
  assert.deepEqual(rows.map((r) => [r.attempt, r.status, r.errorType]), [
    [1, "error", "http_500"],
    [2, "error", "http_502"],
    [3, "error", "http_500"],
  ]);
  assert.equal(h.llm.requests.length, 3);
  assert.equal(h.llm.remaining(), 1);
});

pgTest("retry: a 400 is not retried", async () => {
  await using h = await harness([
    { kind: "status", status: 400, body: { error: { message: "bad model" } } },
    { kind: "text", chunks: ["never reached"] },
  ]);
  const err = await rejectsWith(h.client.complete(ask(), h.scope()), "error", "http_400");
  assert.match(err.message, /bad model/);
  assert.equal((await h.rows()).length, 1);
  assert.equal(h.llm.remaining(), 1);
});

pgTest("retry: a network error is recorded and retried", async () => {
  let calls = 0;
  const flaky: typeof fetch = (input, init) => {
    if (++calls === 1) return Promise.reject(new TypeError("connection reset by peer"));
    return fetch(input, init);
  };
  await using h = await harness([{ kind: "text", chunks: ["back"] }], { fetch: flaky });
  const res = await h.client.stream(ask(), h.scope());
  assert.equal(res.text, "back");
  const rows = await h.rows();
  assert.deepEqual(rows.map((r) => [r.attempt, r.status, r.errorType]), [
    [1, "error", "network"],
    [2, "ok", null],
  ]);
});

pgTest("retry: cancelling during the backoff wait stops at once", async () => {
  await using h = await harness([
    { kind: "status", status: 429, retryAfter: "20" },
    { kind: "text", chunks: ["never reached"] },
  ]);
  const ac = new AbortController();
  const t0 = performance.now();
  setTimeout(() => ac.abort(), 100);
  await rejectsWith(
    h.client.stream(ask(), h.scope({ signal: ac.signal })),
    "cancelled",
    "cancelled",
  );
  const took = performance.now() - t0;
  assert.ok(took < 5_000, `aborted a 20 s Retry-After wait, took ${took} ms`);
  const rows = await h.rows();
  assert.deepEqual(rows.map((r) => [r.attempt, r.errorType]), [[1, "http_429"]]);
  assert.equal(h.llm.requests.length, 1);
});

pgTest("timeout: a stream stalling mid-answer is ended and recorded as timeout", async () => {
  await using h = await harness([
    { kind: "stall", afterChunks: ["partial "] },
    { kind: "text", chunks: ["never reached"] },
  ], { idleTimeoutMs: 150 });
  const t0 = performance.now();
  await rejectsWith(h.client.stream(ask(), h.scope()), "timeout", "timeout");
  const took = performance.now() - t0;
  assert.ok(took >= 150 && took < 3_000, `idle timeout of 150 ms, took ${took} ms`);
  const [row, ...more] = await h.rows();
  assert.equal(more.length, 0, "a timeout after output is not retried");
  assert.equal(row.status, "timeout");
  assert.equal(row.errorType, "timeout");
  assert.equal(row.response, "partial ");
  assert.ok(row.firstChunkAt);
  assert.equal(row.usageSource, "none");
  // Answered without usage: estimated (4 characters a token of the prompt's JSON and of the
  // output), priced; the provider's own counts stay unknown.
  assert.deepEqual([row.inputTokens, row.outputTokens, row.costUsd], [null, null, null]);
  const inputTokens = Math.ceil(JSON.stringify([ask().messages, []]).length / 4);
  assert.deepEqual(
    [row.estimatedInputTokens, row.estimatedOutputTokens, row.estimatedCostUsd],
    [inputTokens, 2, Math.round((inputTokens * 2 + 2 * 8) / 1e6 * 1e8) / 1e8],
  );
  assert.equal(await fate(h.llm, 0), "disconnected");
  assert.equal(h.llm.remaining(), 1);
});

pgTest("timeout: the watchdog also covers the wait for the first chunk", async () => {
  await using h = await harness([{ kind: "stall", afterChunks: [] }], { idleTimeoutMs: 100 });
  await rejectsWith(h.client.stream(ask(), h.scope()), "timeout", "timeout");
  const [row] = await h.rows();
  assert.equal(row.status, "timeout");
  assert.equal(row.firstChunkAt, null);
  assert.equal(row.estimatedInputTokens, null, "nothing answered: no estimate (not billed)");
  assert.equal(row.response, null);
  assert.equal(await fate(h.llm, 0), "disconnected");
});

pgTest("timeout: complete() with a server that never sends the body", async () => {
  await using h = await harness([{ kind: "stall", afterChunks: [] }], { idleTimeoutMs: 100 });
  await rejectsWith(h.client.complete(ask(), h.scope()), "timeout", "timeout");
  const [row] = await h.rows();
  assert.equal(row.status, "timeout");
  assert.equal(await fate(h.llm, 0), "disconnected");
});

pgTest("cancel: aborting mid-stream closes the connection and records cancelled", async () => {
  await using h = await harness([
    { kind: "slow", chunks: ["a", "b", "c", "d", "e", "f"], delayMs: 100 },
    { kind: "text", chunks: ["never reached"] },
  ]);
  const ac = new AbortController();
  const rec = recorder();
  const observer: LlmStreamObserver = {
    ...rec.observer,
    onTextDelta(d) {
      rec.observer.onTextDelta(d);
      if (d === "b") ac.abort(new Error("user pressed stop"));
    },
  };
  const t0 = performance.now();
  const err = await rejectsWith(
    h.client.stream(ask(), h.scope({ signal: ac.signal }), observer),
    "cancelled",
    "cancelled",
  );
  assert.match(err.message, /user pressed stop/);
  assert.ok(performance.now() - t0 < 500, "did not wait for the remaining chunks");
  const [row, ...more] = await h.rows();
  assert.equal(more.length, 0);
  assert.equal(row.status, "cancelled");
  assert.equal(row.errorType, "cancelled");
  assert.equal(row.response, "ab");
  assert.deepEqual(rec.of("finished").map((e) => e[1]), ["cancelled"]);
  assert.equal(await fate(h.llm, 0), "disconnected");
  assert.equal(h.llm.remaining(), 1);
});

pgTest("cancel: an already-aborted signal still records one cancelled row", async () => {
  await using h = await harness([{ kind: "text", chunks: ["never reached"] }]);
  await rejectsWith(
    h.client.stream(ask(), h.scope({ signal: AbortSignal.abort() })),
    "cancelled",
    "cancelled",
  );
  const rows = await h.rows();
  assert.deepEqual(rows.map((r) => [r.attempt, r.status]), [[1, "cancelled"]]);
  assert.equal(h.llm.requests.length, 0);
});

pgTest("stream: a stream cut short without finish_reason is an error, not ok", async () => {
  await using h = await harness([{ kind: "cut", afterChunks: ["half an ans"] }]);
  await rejectsWith(h.client.stream(ask(), h.scope()), "error", "incomplete_stream");
  const rows = await h.rows();
  assert.deepEqual(rows.map((r) => [r.status, r.errorType, r.response]), [
    ["error", "incomplete_stream", "half an ans"],
  ]);
});

pgTest("observer: a throwing callback ends the call, recorded as error 'observer'", async () => {
  await using h = await harness([{ kind: "slow", chunks: ["a", "b", "c"], delayMs: 50 }]);
  const failing = {
    onTextDelta() {
      throw new Error("boom");
    },
  };
  await rejectsWith(h.client.stream(ask(), h.scope(), failing), "error", "observer");
  const [row] = await h.rows();
  assert.equal(row.errorType, "observer");
  assert.match(row.errorMessage ?? "", /boom/);
  assert.equal(await fate(h.llm, 0), "disconnected");
});

pgTest("complete(): non-streaming call recorded without first_chunk_at", async () => {
  await using h = await harness([
    {
      kind: "text",
      chunks: ["Hello", " there"],
      usage: { prompt_tokens: 7, completion_tokens: 2 },
    },
    {
      kind: "tool_calls",
      calls: [{ id: "c1", name: "clock", argFragments: ['{"tz":', '"UTC"}'] }],
    },
  ]);
  const res = await h.client.complete(ask(), h.scope({ operation: "summary" }));
  assert.equal(res.text, "Hello there");
  assert.equal(res.inputTokens, 7);
  assert.equal(res.costUsd, (7 * 2 + 2 * 8) / 1e6);
  const tools = await h.client.complete(ask(), h.scope());
  assert.deepEqual(tools.toolCalls, [{ id: "c1", name: "clock", arguments: '{"tz":"UTC"}' }]);

  assert.notEqual(h.llm.requests[0].body.stream, true);
  assert.equal(h.llm.requests[0].body.stream_options, undefined);
  const [row, toolRow] = await h.rows();
  assert.equal(row.status, "ok");
  assert.equal(row.operation, "summary");
  assert.equal(row.firstChunkAt, null);
  assert.equal(row.response, "Hello there");
  assert.equal(row.requestParams.stream, false);
  assert.equal(row.inputTokens, 7);
  assert.deepEqual(row.finishReasons, ["stop"]);
  assert.deepEqual(toolRow.toolCalls, [{ id: "c1", name: "clock", arguments: '{"tz":"UTC"}' }]);
});

pgTest("content logging: truncate keeps the first N characters of each text", async () => {
  await using h = await harness([
    { kind: "text", chunks: ["Hello", " world"] },
    { kind: "tool_calls", calls: [{ id: "c1", name: "clock", argFragments: ['{"tz":"UTC"}'] }] },
  ], { contentLogging: { mode: "truncate", chars: 5 } });
  const messages = [
    { role: "system" as const, content: "abcd😀xyz" },
    { role: "user" as const, content: [{ type: "text" as const, text: "Hello there" }] },
    { role: "user" as const, content: "nul\0byte" },
  ];
  const res = await h.client.stream({ model: "test-model", messages }, h.scope());
  assert.equal(res.text, "Hello world", "the caller still gets everything");
  await h.client.stream({ model: "test-model", messages }, h.scope());
  const [row, toolRow] = await h.rows();
  assert.deepEqual(row.prompt, [
    // The emoji is a surrogate pair at 4–5: cut before it, never inside (jsonb would refuse).
    { role: "system", content: "abcd" },
    { role: "user", content: [{ type: "text", text: "Hello" }] },
    { role: "user", content: "nul\uFFFDb" },
  ]);
  assert.equal(row.response, "Hello");
  assert.deepEqual(toolRow.toolCalls, [{ id: "c1", name: "clock", arguments: '{"tz"' }]);
});

pgTest("content logging: off stores no prompt, response or arguments", async () => {
  await using h = await harness([
    { kind: "text", chunks: ["secret answer"] },
    { kind: "tool_calls", calls: [{ id: "c1", name: "clock", argFragments: ['{"tz":"UTC"}'] }] },
  ], { contentLogging: { mode: "off" } });
  const res = await h.client.stream(ask(), h.scope());
  assert.equal(res.text, "secret answer");
  await h.client.stream(ask(), h.scope());
  await h.stored();
  const rows = await h.sql`SELECT prompt, response, tool_calls FROM llm_calls ORDER BY started_at`;
  assert.equal(rows[0].prompt, null);
  assert.equal(rows[0].response, null);
  assert.deepEqual(rows[1].tool_calls, [{ id: "c1", name: "clock" }]);
  const [{ n }] = await h.sql`SELECT count(*)::int AS n FROM llm_calls WHERE prompt IS NULL`;
  assert.equal(n, 2, "SQL NULL, not a JSON null");
});

pgTest("listLlmCalls: filters and keyset pagination", async () => {
  await using h = await harness([]);
  const base = Date.parse("2026-11-01T12:00:00Z");
  const otherRun = crypto.randomUUID();
  // An earlier run of the conversation (one runs at a time: migration 010).
  await h.sql`INSERT INTO runs (id, conversation_id, user_id, agent, status)
              VALUES (${otherRun}, ${h.conversationId}, ${h.userId}, 'x', 'succeeded')`;
  const alice = await insertUser(h.sql, "alice@example.com");
  const bob = await insertUser(h.sql, "bob@example.com");
  const make = (i: number, over: Partial<LlmCallRow> = {}): LlmCallRow => ({
    ...SAMPLE_ROW,
    id: crypto.randomUUID(),
    runId: h.runId,
    conversationId: h.conversationId,
    startedAt: new Date(base + Math.floor(i / 3) * 1000),
    endedAt: new Date(base + Math.floor(i / 3) * 1000 + 50),
    ...over,
  });
  // 9 rows; started_at shared by three rows at a time to exercise the id tie-break.
  const rows = Array.from({ length: 9 }, (_, i) =>
    make(i, {
      userId: i % 2 ? alice : bob,
      requestModel: i < 6 ? "test-model" : "other-model",
      status: i === 4 ? "error" : "ok",
      runId: i === 8 ? otherRun : h.runId,
      costUsd: i === 0 ? 0.00012345 : null,
    }));
  for (const r of rows) await insertLlmCall(h.sql, r);
  // Two rows 1 µs apart within one millisecond, the later with the smallest id: a cursor kept in
  // milliseconds would skip the earlier one.
  const us = [
    make(20, { id: "00000000-0000-4000-8000-000000000000", userId: bob }),
    make(20, { userId: bob }),
  ];
  for (const r of us) await insertLlmCall(h.sql, r);
  await h.sql`UPDATE llm_calls SET started_at = started_at + interval '1 microsecond'
              WHERE id = ${us[0].id}`;
  const all = [...rows, ...us];

  const [{ ids }] = await h.sql`
    SELECT array_agg(id::text ORDER BY started_at DESC, id DESC) AS ids FROM llm_calls`;
  assert.equal(ids[0], us[0].id, "the later-by-1-µs row first");
  for (const limit of [1, 2, 4]) {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listLlmCalls(h.sql, { scope: ALL, limit, cursor });
      assert.ok(page.items.length <= limit);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 50);
    assert.equal(pages, Math.ceil(all.length / limit), `pages of ${limit}`);
    assert.deepEqual(seen, ids, `pages of ${limit}: every row once, newest first, ties by id`);
  }

  type Filters = Parameters<typeof listLlmCalls>[1];
  const ids$ = async (f: Omit<Filters, "scope"> & Partial<Pick<Filters, "scope">>) =>
    (await listLlmCalls(h.sql, { scope: ALL, ...f })).items.map((r) => r.id).sort();
  const idsOf = (pred: (r: LlmCallRow) => boolean) => all.filter(pred).map((r) => r.id).sort();
  assert.deepEqual(await ids$({ runId: otherRun }), [rows[8].id]);
  // Owner scopes: an admin's user filter, a member's own rows, and a member asking for another's.
  const alices = idsOf((r) => r.userId === alice);
  assert.deepEqual(await ids$({ scope: { owner: EVERYONE, user: alice } }), alices);
  assert.deepEqual(await ids$({ scope: { owner: alice } }), alices);
  assert.deepEqual(await ids$({ scope: { owner: alice, user: alice } }), alices);
  assert.deepEqual(await ids$({ scope: { owner: alice, user: bob } }), []);
  assert.deepEqual(await ids$({ scope: { owner: h.userId } }), []);
  assert.deepEqual(
    await ids$({ model: "other-model" }),
    idsOf((r) => r.requestModel === "other-model"),
  );
  assert.deepEqual(await ids$({ status: "error" }), [rows[4].id]);
  assert.deepEqual(await ids$({ conversationId: crypto.randomUUID() }), []);
  assert.deepEqual(
    await ids$({ from: new Date(base + 1000), to: new Date(base + 2000) }),
    [rows[3].id, rows[4].id, rows[5].id].sort(),
  );
  assert.deepEqual(
    await ids$({ scope: { owner: bob }, model: "test-model", status: "ok" }),
    idsOf((r) => r.userId === bob && r.requestModel === "test-model" && r.status === "ok"),
  );
  const first = (await listLlmCalls(h.sql, {
    scope: ALL,
    runId: h.runId,
    status: "ok",
    model: "test-model",
  })).items.find((r) => r.id === rows[0].id);
  assert.equal(first?.costUsd, 0.00012345);
  assert.equal(typeof first?.durationMs, "number");
  assert.equal(first?.inputTokens, 10);
  assert.ok(first?.startedAt instanceof Date);
  assert.equal("prompt" in (first ?? {}), false, "list entries leave the content out");

  const small = await listLlmCalls(h.sql, { scope: ALL });
  assert.equal(small.items.length, all.length);
  assert.equal(small.nextCursor, null);
  for (const bad of [{ limit: 0 }, { limit: 501 }, { cursor: "x" }, { runId: "1; DROP x" }]) {
    await assert.rejects(listLlmCalls(h.sql, { scope: ALL, ...bad }), LlmCallQueryError);
  }

  const forRun = await llmCallsForRun(h.sql, h.runId);
  assert.equal(forRun.length, all.length - 1);
  const times = forRun.map((r) => r.startedAt.getTime());
  assert.deepEqual(times, [...times].sort((a, b) => a - b), "oldest first");
});

Deno.test("embedded PGlite: a streamed call is recorded", async () => {
  await using h = await harness([{ kind: "text", chunks: ["from ", "pglite"] }], {
    embedded: true,
  });
  const res = await h.client.stream(ask(), h.scope());
  assert.equal(res.text, "from pglite");
  const rows = await h.rows();
  assert.deepEqual(rows.map((r) => [r.status, r.response, r.outputTokens, r.usageSource]), [
    ["ok", "from pglite", 2, "provider"],
  ]);
  assert.equal(rows[0].costUsd, (10 * 2 + 2 * 8) / 1e6);
});

Deno.test("retryAfterMs reads seconds, HTTP dates and retry-after-ms, capped", () => {
  const now = Date.parse("2026-11-21T10:00:00Z");
  const h = (v: Record<string, string>) => new Headers(v);
  assert.equal(retryAfterMs(h({ "retry-after": "2" }), now), 2000);
  assert.equal(retryAfterMs(h({ "retry-after": "0.5" }), now), 500);
  assert.equal(retryAfterMs(h({ "retry-after": "Sat, 21 Nov 2026 10:00:07 GMT" }), now), 7000);
  assert.equal(retryAfterMs(h({ "retry-after": "Sat, 21 Nov 2026 09:00:00 GMT" }), now), 0);
  assert.equal(retryAfterMs(h({ "retry-after": "3600" }), now), RETRY_AFTER_CAP_MS);
  assert.equal(retryAfterMs(h({ "retry-after-ms": "120", "retry-after": "9" }), now), 120);
  assert.equal(retryAfterMs(h({ "retry-after": "soon" }), now), null);
  assert.equal(retryAfterMs(h({}), now), null);
  assert.equal(retryAfterMs(undefined, now), null);
});

Deno.test("backoffMs doubles with jitter, and a server's Retry-After wins", () => {
  assert.equal(backoffMs(1, 250, null, () => 0), 125);
  assert.equal(backoffMs(1, 250, null, () => 1), 250);
  assert.equal(backoffMs(3, 250, null, () => 1), 1000);
  assert.equal(backoffMs(30, 250, null, () => 1), RETRY_AFTER_CAP_MS);
  assert.equal(backoffMs(2, 250, 1234, () => 0), 1234);
  assert.deepEqual(
    ["http_429", "http_500", "http_503", "network", "http_400", "timeout", "cancelled"].map(
      isRetryable,
    ),
    [true, true, true, true, false, false, false],
  );
});

Deno.test("callCostUsd: unknown models and missing usage are NULL, not 0", () => {
  const usage = {
    inputTokens: 100,
    outputTokens: 10,
    cachedTokens: null,
    cacheWriteTokens: null,
    reasoningTokens: null,
  };
  assert.equal(callCostUsd(PRICES, "test-model", null, usage), (100 * 2 + 10 * 8) / 1e6);
  assert.equal(callCostUsd(PRICES, "nope", null, usage), null);
  assert.equal(callCostUsd(PRICES, "constructor", "toString", usage), null);
  assert.equal(callCostUsd(PRICES, "test-model", null, null), null);
  const noCachedPrice = { m: { input: 1, output: 1 } };
  assert.equal(
    callCostUsd(noCachedPrice, "m", null, { ...usage, cachedTokens: 50 }),
    (100 + 10) / 1e6,
  );
});

const SAMPLE_ROW: LlmCallRow = {
  id: "",
  runId: null,
  spanId: "0123456789abcdef",
  parentSpanId: null,
  conversationId: null,
  userId: "", // set per row: a real user
  agentName: "tester",
  operation: "chat",
  provider: "scripted",
  requestModel: "test-model",
  responseModel: "test-model",
  responseId: null,
  requestParams: {},
  attempt: 1,
  prompt: null,
  response: null,
  toolDefinitions: null,
  toolCalls: null,
  finishReasons: ["stop"],
  inputTokens: 10,
  outputTokens: 2,
  cachedTokens: null,
  cacheWriteTokens: null,
  reasoningTokens: null,
  usageSource: "provider",
  costUsd: null,
  estimatedInputTokens: null,
  estimatedOutputTokens: null,
  estimatedCostUsd: null,
  startedAt: new Date(0),
  firstChunkAt: null,
  endedAt: new Date(0),
  durationMs: 50,
  status: "ok",
  errorType: null,
  errorMessage: null,
  metadata: {},
};
