/**
 * RecordingLlmClient: the one way agents reach a model. Every attempt of every call, however it
 * ends, becomes exactly one llm_calls row, queued for storage (call_recorder.ts) before the
 * observer hears it finished; the call's result never waits for, or depends on, the database.
 * The openai client's own retries are off (maxRetries 0) so that each retry is an attempt we
 * record.
 */
import OpenAI from "openai";
import type { ContentLogging } from "../../config/logging.ts";
import type { LlmCallStartedValue } from "../spine/events.ts";
import type { LlmCallRow } from "../../db/llm_calls.ts";
import { redact, type Secret } from "../logging/secret.ts";
import { type CacheAccounting, type ModelPrice, priceOf, type PriceTable } from "./cost.ts";
import { abortableSleep, backoffMs, isRetryable, retryAfterMs } from "./retry.ts";
import { AttemptControl, ResponseAccumulator, tell } from "./stream.ts";
import { type AttemptOutcome, buildRow, classifyFailure, finishedValue } from "./attempt_record.ts";
import {
  LlmCallError,
  type LlmCallScope,
  type LlmClient,
  type LlmRequest,
  type LlmResult,
  type LlmStreamObserver,
} from "./types.ts";

export interface RecordingLlmClientOptions {
  openai: OpenAI;
  /** Where each attempt's row goes (an LlmCallRecorder: queued, stored in order). */
  recorder: { record(row: LlmCallRow): void };
  provider: string;
  contentLogging: ContentLogging;
  prices: PriceTable;
  /** How the provider counts cached prompt tokens; default part_of_input (OpenAI's way). */
  cacheAccounting?: CacheAccounting;
  /** A stream (or a non-streamed call) that receives nothing for this long is ended: 'timeout'. */
  idleTimeoutMs: number;
  /** Attempts per call, counting the first. */
  maxAttempts: number;
  /** First backoff step (doubling, with jitter); default 250. */
  backoffBaseMs?: number;
  /** Clock for recorded timestamps, ms since epoch (fractions kept in duration_ms). */
  now?: () => number;
  /** Values an error message must not carry (the key, should the endpoint echo it). */
  secrets?: Secret[];
}

/** The npm:openai client for an OpenAI-compatible endpoint, with its own retries off. */
export function createOpenAi(
  opts: { baseURL: string; apiKey: string; fetch?: typeof fetch },
): OpenAI {
  return new OpenAI({
    baseURL: opts.baseURL,
    apiKey: opts.apiKey,
    fetch: opts.fetch,
    maxRetries: 0,
  });
}

export class RecordingLlmClient implements LlmClient {
  readonly provider: string;
  readonly #o: Required<RecordingLlmClientOptions>;

  constructor(opts: RecordingLlmClientOptions) {
    this.provider = opts.provider;
    this.#o = {
      ...opts,
      backoffBaseMs: opts.backoffBaseMs ?? 250,
      cacheAccounting: opts.cacheAccounting ?? "part_of_input",
      secrets: opts.secrets ?? [],
      // Wall-clock ms that never step backwards within the process, with sub-ms precision for
      // duration_ms and TTFT.
      now: opts.now ?? (() => performance.timeOrigin + performance.now()),
    };
  }

  price(model: string): ModelPrice | undefined {
    return priceOf(this.#o.prices, model);
  }

  stream(req: LlmRequest, scope: LlmCallScope, observer?: LlmStreamObserver): Promise<LlmResult> {
    return this.#call(req, scope, observer ?? {}, true);
  }

  complete(req: LlmRequest, scope: LlmCallScope): Promise<LlmResult> {
    return this.#call(req, scope, {}, false);
  }

  async #call(
    req: LlmRequest,
    scope: LlmCallScope,
    observer: LlmStreamObserver,
    streaming: boolean,
  ): Promise<LlmResult> {
    const { maxAttempts, backoffBaseMs, now } = this.#o;
    for (let attempt = 1;; attempt++) {
      const out = await this.#attempt(req, scope, observer, streaming, attempt);
      if (out.status === "ok") return out.result;
      const again = attempt < maxAttempts && out.retryable && !scope.signal?.aborted;
      if (!again) throw new LlmCallError(out.status, out.errorType, out.errorMessage);
      const wait = backoffMs(attempt, backoffBaseMs, retryAfterMs(out.headers, now()));
      try {
        await abortableSleep(wait, scope.signal);
      } catch {
        // No attempt was running, so there is no row to write: the previous one stands.
        throw new LlmCallError("cancelled", "cancelled", "cancelled while waiting to retry");
      }
    }
  }

  async #attempt(
    req: LlmRequest,
    scope: LlmCallScope,
    observer: LlmStreamObserver,
    streaming: boolean,
    attempt: number,
  ): Promise<AttemptOutcome> {
    const { recorder, idleTimeoutMs, now } = this.#o;
    const ids = { callId: crypto.randomUUID(), spanId: spanId() };
    const body = requestBody(req, streaming);
    const acc = new ResponseAccumulator(observer, this.#o.cacheAccounting);
    const startedAt = now();
    let control: AttemptControl | undefined;
    let failure: unknown = null;
    try {
      tell(() =>
        observer.onCallStarted?.(
          startedValue(ids, this.provider, req, scope, attempt, startedAt),
        )
      );
      control = new AttemptControl(scope.signal, idleTimeoutMs);
      await this.#exchange(body, control, acc);
    } catch (err) {
      failure = err;
    } finally {
      control?.release(failure !== null);
    }
    const endedAt = now();
    const fail = classifyFailure({
      endedBy: control?.endedBy ?? null,
      failure,
      streaming,
      acc,
      idleTimeoutMs,
      scope,
    });
    if (fail) fail.message = redact(fail.message, this.#o.secrets);
    const row = buildRow({
      ...this.#o,
      ids,
      req,
      scope,
      body,
      attempt,
      acc,
      fail,
      startedAt,
      endedAt,
    });
    // Deliberately not tied to the caller's signal: a cancelled call is still recorded.
    recorder.record(row);
    const ttftMs = acc.firstChunkAt === null ? null : acc.firstChunkAt - startedAt;
    observer.onCallFinished?.(finishedValue(row, scope, ttftMs));
    if (fail) {
      return {
        status: fail.status,
        errorType: fail.errorType,
        errorMessage: fail.message,
        // Once output reached the observer a retry would repeat it.
        retryable: isRetryable(fail.errorType) && !acc.emitted,
        headers: fail.headers,
      };
    }
    return {
      status: "ok",
      result: {
        ...ids,
        model: acc.responseModel ?? req.model,
        text: acc.text,
        toolCalls: acc.toolCalls,
        finishReason: acc.finishReason,
        inputTokens: row.inputTokens,
        outputTokens: row.outputTokens,
        costUsd: row.costUsd,
      },
    };
  }

  /** The HTTP request itself; everything it receives goes into acc. */
  async #exchange(body: RequestBody, control: AttemptControl, acc: ResponseAccumulator) {
    const { openai, now } = this.#o;
    const opts = { signal: control.signal, maxRetries: 0 };
    if (body.stream) {
      for await (const chunk of await openai.chat.completions.create(body, opts)) {
        control.touch();
        acc.chunk(chunk, now());
      }
    } else {
      acc.completion(await openai.chat.completions.create(body, opts));
    }
  }
}

type RequestBody =
  | OpenAI.Chat.ChatCompletionCreateParamsStreaming
  | OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;

function requestBody(req: LlmRequest, streaming: boolean): RequestBody {
  const base = {
    model: req.model,
    messages: req.messages,
    ...(req.tools?.length && { tools: req.tools }),
    ...(req.temperature !== undefined && { temperature: req.temperature }),
    ...(req.maxTokens !== undefined && { max_tokens: req.maxTokens }),
  };
  return streaming
    ? { ...base, stream: true, stream_options: { include_usage: true } }
    : { ...base, stream: false };
}

/** The llm_call_started value of one attempt (the gateway's too). */
export function startedValue(
  ids: { callId: string; spanId: string },
  provider: string,
  req: LlmRequest,
  scope: LlmCallScope,
  attempt: number,
  startedAt: number,
): LlmCallStartedValue {
  return {
    ...ids,
    parentSpanId: scope.parentSpanId,
    agent: scope.agentName,
    ...(scope.subagentRunId && { subagentRunId: scope.subagentRunId }),
    provider,
    model: req.model,
    operation: scope.operation,
    attempt,
    startedAt: Math.floor(startedAt),
  };
}

/** 16 hex digits, an OpenTelemetry span id. */
export function spanId(): string {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
