/**
 * One gateway request: the client's chat-completion body forwarded to its provider as it is
 * (only the model name changes, and usage is asked for), the answer passed back as it arrives,
 * and the attempt recorded exactly like Glassbox's own calls — one llm_calls row, written with
 * agents/llm's accumulator, row builder and idle watchdog, however it ends: ok, error (an
 * upstream status, a malformed or cut stream), timeout (the upstream went quiet) or cancelled
 * (the client went away, a budget cut the stream, or its run or session was stopped; the
 * upstream request is aborted with it, and a stopped call's client is told so: a 409
 * `session_stopped`, or an error event ending its stream).
 *
 * A stream is re-framed event by event (`data: …` as the upstream sent it), never collected: the
 * only change is the usage Glassbox asked for on the client's behalf, which is taken out again.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type OpenAI from "openai";
import type { ContentLogging } from "../../config/logging.ts";
import type { LlmCallRow } from "../../db/llm_calls.ts";
import type { Provider } from "../llm/providers.ts";
import { buildRow, classifyFailure, type Failure, finishedValue } from "../llm/attempt_record.ts";
import { spanId, startedValue } from "../llm/recording_client.ts";
import { AttemptControl, ResponseAccumulator } from "../llm/stream.ts";
import type { ChatMessage, ChatTool, LlmCallScope, LlmStreamObserver } from "../llm/types.ts";

export interface ForwardDeps {
  /** Where the attempt's row goes: the app's LlmCallRecorder (queued, stored in order). */
  recorder: { record(row: LlmCallRow): void };
  contentLogging: ContentLogging;
  /** An upstream that sends nothing for this long is given up on: 'timeout'. */
  idleTimeoutMs: number;
  now?: () => number;
}

export interface ForwardInput {
  provider: Provider;
  /** The client's body with the model as the provider names it. */
  body: Record<string, unknown>;
  scope: LlmCallScope;
  /** 1 + the client's own retry count (`x-stainless-retry-count`), when it tells. */
  attempt: number;
  observer: LlmStreamObserver;
  /**
   * Aborted with a BudgetStop when a budget's limit is passed while the answer streams: the
   * upstream request is aborted, the attempt recorded as cancelled with the reason, and the
   * client's stream ends with an error event naming the budget.
   */
  stop?: AbortSignal;
  /** Aborted when the call's run or session is stopped (Stop); `why` is told to the client. */
  cancel?: { signal: AbortSignal; why: string };
}

/** Why a budget stopped a streamed call: "daily budget $5.00 reached". */
export class BudgetStop extends Error {}

/** Upstream headers a client may act on (rate limits, request ids); the rest stay here. */
const PASSED_HEADERS = /^(retry-after(-ms)?|x-ratelimit-.*|openai-processing-ms)$/i;
const enc = new TextEncoder();

export async function forward(deps: ForwardDeps, input: ForwardInput): Promise<Response> {
  const attempt = new GatewayAttempt(deps, input);
  return await attempt.run();
}

class GatewayAttempt {
  readonly ids = { callId: crypto.randomUUID(), spanId: spanId() };
  readonly acc: ResponseAccumulator;
  readonly streaming: boolean;
  /** What is sent upstream: the client's body, with usage asked for when streaming. */
  readonly sent: Record<string, unknown>;
  /** The client asked for the usage chunk itself, so it is passed on. */
  readonly clientWantsUsage: boolean;
  readonly #gone = new AbortController();
  /** Unhooks the Stop listener once recorded (a session's signal outlives its calls). */
  readonly #unhook = new AbortController();
  /** The client going away, a budget's stop, or the run's or session's Stop. */
  readonly #ended: AbortSignal;
  readonly #control: AttemptControl;
  readonly #now: () => number;
  readonly #startedAt: number;
  #recorded = false;
  /** A failure seen in the answer itself (an error event, a chunk that is not JSON). */
  #answerFault: Failure | null = null;
  /** How the attempt ended, once recorded. */
  #fail: Failure | null = null;

  constructor(private readonly deps: ForwardDeps, private readonly input: ForwardInput) {
    this.#now = deps.now ?? (() => performance.timeOrigin + performance.now());
    this.acc = new ResponseAccumulator(input.observer, input.provider.cacheAccounting);
    this.streaming = input.body.stream === true;
    const options = input.body.stream_options;
    this.clientWantsUsage = isObject(options) && options.include_usage === true;
    this.sent = this.streaming && !this.clientWantsUsage
      ? {
        ...input.body,
        stream_options: { ...(isObject(options) ? options : {}), include_usage: true },
      }
      : input.body;
    this.#startedAt = this.#now();
    input.observer.onCallStarted?.(
      startedValue(
        this.ids,
        input.provider.name,
        { model: String(input.body.model), messages: [] },
        input.scope,
        input.attempt,
        this.#startedAt,
      ),
    );
    const enders = [this.#gone.signal, input.stop, input.cancel?.signal].filter((s) => !!s);
    this.#ended = enders.length > 1 ? AbortSignal.any(enders) : this.#gone.signal;
    this.#control = new AttemptControl(this.#ended, deps.idleTimeoutMs);
    // Stopped: recorded at once (as cancelled, with what had arrived), so the stopped run's end
    // counts it whether or not the client is reading just then. Hooked on the signal
    // AttemptControl watches, after it, so the attempt is already marked cancelled.
    this.#ended.addEventListener("abort", () => {
      if (input.cancel?.signal.aborted) this.#record(this.#ended.reason);
    }, {
      once: true,
      signal: this.#unhook.signal,
    });
  }

  /** The run or session was stopped (rather than the client leaving). */
  get #cancelled(): boolean {
    return this.input.cancel?.signal.aborted === true && !this.#gone.signal.aborted;
  }

  /** What a stopped call's client is told. */
  get #cancelError() {
    return { message: this.input.cancel!.why, type: "session_stopped", code: "session_stopped" };
  }

  async run(): Promise<Response> {
    let res: Response;
    try {
      res = await this.input.provider.upstream("/chat/completions", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: this.streaming ? "text/event-stream" : "application/json",
        },
        body: JSON.stringify(this.sent),
        signal: this.#control.signal,
      });
    } catch (err) {
      return this.#refused(err);
    }
    this.#control.touch();
    if (!res.ok) return await this.#upstreamError(res);
    if (this.streaming && res.body) return this.#streamed(res);
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      return this.#refused(err);
    }
    try {
      this.acc.completion(JSON.parse(text) as OpenAI.Chat.ChatCompletion);
      this.#tellWhole();
    } catch {
      this.#answerFault = {
        status: "error",
        errorType: "invalid_response",
        message: "the upstream's answer is not a chat completion (not JSON)",
      };
    }
    this.#record(null);
    return new Response(text, {
      status: res.status,
      headers: this.#headers(res.headers, res.headers.get("content-type") ?? "application/json"),
    });
  }

  /** A completion arrives whole: the observer hears its text and tool calls at once. */
  #tellWhole(): void {
    const o = this.input.observer;
    if (this.acc.text) o.onTextDelta?.(this.acc.text);
    this.acc.toolCalls.forEach((call, index) => {
      o.onToolCallStart?.({ index, id: call.id, name: call.name });
      if (call.arguments) o.onToolCallArgs?.(call.id, call.arguments);
    });
  }

  /** No answer came (unreachable, timed out before the headers, or the body broke). */
  #refused(err: unknown): Response {
    const fail = this.#record(err);
    if (this.#cancelled) {
      const headers = this.#headers(new Headers(), "application/json");
      headers.set("x-should-retry", "false"); // openai's SDKs would retry a 409
      return Response.json({ error: this.#cancelError }, { status: 409, headers });
    }
    const status = fail?.status === "timeout" ? 504 : 502;
    const type = fail?.status === "timeout" ? "upstream_timeout" : "upstream_unreachable";
    const message = `${this.input.provider.name}: ${fail?.message ?? "no answer"}`;
    return Response.json({ error: { message, type, code: type } }, {
      status,
      headers: this.#headers(new Headers(), "application/json"),
    });
  }

  /** An upstream status ≥ 400: passed on with its body (the key taken out) and recorded. */
  async #upstreamError(res: Response): Promise<Response> {
    let text = "";
    try {
      text = this.input.provider.redact(await res.text());
    } catch (err) {
      return this.#refused(err);
    }
    this.#answerFault = {
      status: "error",
      errorType: `http_${res.status}`,
      message: errorMessage(res.status, text),
      headers: res.headers,
    };
    this.#record(null);
    return new Response(text, {
      status: res.status,
      headers: this.#headers(res.headers, res.headers.get("content-type") ?? "application/json"),
    });
  }

  #streamed(res: Response): Response {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let out = "";
    const parser = createParser({ onEvent: (e) => out += this.#relay(e) });
    const stream = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) {
              parser.feed(decoder.decode());
              if (out) controller.enqueue(enc.encode(out));
              this.#record(null);
              controller.close();
              return;
            }
            this.#control.touch();
            parser.feed(decoder.decode(value, { stream: true }));
            if (out) {
              controller.enqueue(enc.encode(out));
              out = "";
              return;
            }
          }
        } catch (err) {
          const fail = this.#record(err);
          if (this.#gone.signal.aborted) return; // nobody to tell
          // The status line is long gone: say what happened the way OpenAI's streams do.
          const stop = this.input.stop?.reason;
          const type = stop instanceof BudgetStop
            ? "budget_exceeded"
            : fail?.status === "timeout"
            ? "upstream_timeout"
            : "upstream_error";
          const error = this.#cancelled
            ? this.#cancelError
            : stop instanceof BudgetStop
            ? { message: stop.message, type, code: type }
            : { message: `${this.input.provider.name}: ${fail?.message}`, type };
          controller.enqueue(enc.encode(`data: ${JSON.stringify({ error })}\n\n`));
          controller.close();
        }
      },
      cancel: async () => {
        this.#gone.abort(new Error("the client went away"));
        await reader.cancel().catch(() => {});
        this.#record(null);
      },
    });
    return new Response(stream, {
      status: res.status,
      headers: {
        ...Object.fromEntries(this.#headers(res.headers, "text/event-stream; charset=utf-8")),
        "cache-control": "no-cache, no-transform",
        "x-accel-buffering": "no",
      },
    });
  }

  /** One upstream SSE event: into the accumulator, and re-framed for the client (or dropped). */
  #relay(e: EventSourceMessage): string {
    const frame = (data: string) => `${e.event ? `event: ${e.event}\n` : ""}data: ${data}\n\n`;
    if (e.data === "[DONE]") return frame(e.data);
    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(e.data);
    } catch {
      this.#answerFault ??= {
        status: "error",
        errorType: "invalid_response",
        message: `the upstream sent a chunk that is not JSON: ${e.data.slice(0, 200)}`,
      };
      return frame(e.data); // passed on as it came: the client decides what to make of it
    }
    if (!isObject(chunk)) return frame(e.data);
    if (isObject(chunk.error)) {
      this.#answerFault ??= {
        status: "error",
        errorType: "provider_error",
        message: this.input.provider.redact(String(chunk.error.message ?? e.data)),
      };
      return frame(e.data);
    }
    this.acc.chunk(chunk as unknown as OpenAI.Chat.ChatCompletionChunk, this.#now());
    if (this.clientWantsUsage || !("usage" in chunk)) return frame(e.data);
    // The usage only Glassbox asked for: its own chunk is dropped, a field on another removed.
    if (Array.isArray(chunk.choices) && chunk.choices.length === 0) return "";
    const { usage: _, ...rest } = chunk;
    return frame(JSON.stringify(rest));
  }

  /** Records the attempt's row once, however many ways it ends at once; returns its failure. */
  #record(err: unknown): Failure | null {
    if (!this.#recorded) {
      this.#recorded = true;
      this.#unhook.abort();
      this.#control.release(err !== null);
      const { provider, body, scope, attempt } = this.input;
      const fail = this.#control.endedBy !== null || err !== null || !this.#answerFault
        ? classifyFailure({
          endedBy: this.#control.endedBy,
          failure: err,
          streaming: this.streaming,
          acc: this.acc,
          idleTimeoutMs: this.deps.idleTimeoutMs,
          scope: { ...scope, signal: this.#ended },
        })
        : this.#answerFault;
      if (fail) fail.message = provider.redact(fail.message);
      this.#fail = fail;
      const endedAt = this.#now();
      const row = buildRow({
        provider: provider.name,
        contentLogging: this.deps.contentLogging,
        prices: provider.prices,
        ids: this.ids,
        req: {
          model: String(body.model),
          messages: Array.isArray(body.messages) ? body.messages as ChatMessage[] : [],
          tools: Array.isArray(body.tools) ? body.tools as ChatTool[] : undefined,
        },
        scope,
        body: this.sent,
        attempt,
        acc: this.acc,
        fail,
        startedAt: this.#startedAt,
        endedAt,
      });
      // Queued, like in-app calls' rows: the client's answer never waits for the database.
      this.deps.recorder.record(row);
      const ttft = this.acc.firstChunkAt === null ? null : this.acc.firstChunkAt - this.#startedAt;
      this.input.observer.onCallFinished?.(finishedValue(row, scope, ttft));
    }
    return this.#fail;
  }

  #headers(upstream: Headers, contentType: string): Headers {
    const { runId, conversationId } = this.input.scope;
    const h = new Headers({ "content-type": contentType, "x-glassbox-call-id": this.ids.callId });
    if (runId) h.set("x-glassbox-run-id", runId);
    if (conversationId) h.set("x-glassbox-conversation-id", conversationId);
    for (const [k, v] of upstream) if (PASSED_HEADERS.test(k)) h.set(k, v);
    return h;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The upstream's own error message when its body is OpenAI-shaped, else the body's start. */
function errorMessage(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body);
    const m = parsed?.error?.message ?? parsed?.message;
    if (typeof m === "string" && m) return `HTTP ${status}: ${m}`;
  } catch { /* not JSON */ }
  return `HTTP ${status}${body ? `: ${body.slice(0, 500)}` : ""}`;
}
