/**
 * Turns a chat-completion response (streamed chunks or one completion) into an LlmResult's parts,
 * telling the observer as text and tool calls arrive; and ends an attempt on cancel or when the
 * stream goes idle.
 */
import type OpenAI from "openai";
import type { LlmStreamObserver, LlmToolCall } from "./types.ts";
import type { CacheAccounting, TokenUsage } from "./cost.ts";

type Chunk = OpenAI.Chat.ChatCompletionChunk;
type Completion = OpenAI.Chat.ChatCompletion;
type Usage = OpenAI.CompletionUsage;

interface ToolSlot {
  id: string;
  name: string;
  args: string;
  /** onToolCallStart sent; fragments that came before it are held in `args` until then. */
  announced: boolean;
}

/** Thrown when an observer callback throws, so the attempt is recorded as the caller's fault. */
export class ObserverError extends Error {
  constructor(readonly original: unknown) {
    super(`observer failed: ${original instanceof Error ? original.message : String(original)}`);
    this.name = "ObserverError";
  }
}

/** Runs an observer callback; what it throws becomes an ObserverError. */
export function tell(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw new ObserverError(err);
  }
}

export class ResponseAccumulator {
  text = "";
  finishReason: string | null = null;
  usage: TokenUsage | null = null;
  responseModel: string | null = null;
  responseId: string | null = null;
  /** ms since epoch of the first streamed chunk of any kind. */
  firstChunkAt: number | null = null;
  /** Something reached the observer, so retrying would repeat it: no retry from here. */
  emitted = false;
  #slots: ToolSlot[] = [];
  #byIndex = new Map<number, ToolSlot>();

  constructor(
    private readonly observer: LlmStreamObserver = {},
    private readonly cacheAccounting: CacheAccounting = "part_of_input",
  ) {}

  chunk(c: Chunk, at: number): void {
    this.firstChunkAt ??= at;
    this.responseModel = c.model || this.responseModel;
    this.responseId = c.id || this.responseId;
    // Some servers repeat usage on every chunk; the last one is the total.
    if (c.usage) this.usage = tokenUsage(c.usage, this.cacheAccounting);
    const choice = c.choices?.[0];
    if (!choice) return;
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    const delta = choice.delta;
    if (typeof delta?.content === "string" && delta.content !== "") {
      this.text += delta.content;
      this.emitted = true;
      tell(() => this.observer.onTextDelta?.(delta.content!));
    }
    delta?.tool_calls?.forEach((d, i) => this.#toolDelta(d, i));
  }

  completion(c: Completion): void {
    this.responseModel = c.model || null;
    this.responseId = c.id || null;
    if (c.usage) this.usage = tokenUsage(c.usage, this.cacheAccounting);
    const choice = c.choices?.[0];
    if (!choice) return;
    this.finishReason = choice.finish_reason ?? null;
    this.text = choice.message?.content ?? "";
    for (const t of choice.message?.tool_calls ?? []) {
      if (t.type !== "function") continue;
      this.#slots.push({
        id: t.id,
        name: t.function.name,
        args: t.function.arguments,
        announced: true,
      });
    }
  }

  get toolCalls(): LlmToolCall[] {
    return this.#slots.map((s) => ({ id: s.id, name: s.name, arguments: s.args }));
  }

  #toolDelta(d: OpenAI.Chat.ChatCompletionChunk.Choice.Delta.ToolCall, position: number): void {
    const index = d.index ?? position;
    let slot = this.#byIndex.get(index);
    // Some servers (older Ollama) number every call 0: a new id at a used index is a new call.
    if (!slot || (d.id && slot.id && d.id !== slot.id)) {
      slot = { id: "", name: "", args: "", announced: false };
      this.#slots.push(slot);
      this.#byIndex.set(index, slot);
    }
    if (d.id) slot.id = d.id;
    if (d.function?.name && !slot.announced) slot.name = d.function.name;
    const fragment = d.function?.arguments ?? "";
    slot.args += fragment;
    if (!slot.announced && slot.id && slot.name) {
      slot.announced = true;
      this.emitted = true;
      const s = slot;
      tell(() => this.observer.onToolCallStart?.({ index, id: s.id, name: s.name }));
      if (s.args) tell(() => this.observer.onToolCallArgs?.(s.id, s.args));
    } else if (slot.announced && fragment) {
      const id = slot.id;
      tell(() => this.observer.onToolCallArgs?.(id, fragment));
    }
  }
}

/** What OpenAI-compatible servers add to `usage` for prompt caches besides OpenAI's field. */
type CacheUsage = Usage & {
  /** LiteLLM and Anthropic-style proxies. */
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  prompt_tokens_details?: { cache_write_tokens?: number; cache_creation_tokens?: number };
};

/**
 * The provider's counts, normalised: inputTokens is the whole prompt. An `in_addition` provider
 * reports cache reads and writes beside prompt_tokens, so they are added to it.
 */
export function tokenUsage(u: Usage, accounting: CacheAccounting): TokenUsage {
  const x = u as CacheUsage;
  const cached = count(x.prompt_tokens_details?.cached_tokens ?? x.cache_read_input_tokens);
  const written = count(
    x.prompt_tokens_details?.cache_write_tokens ?? x.prompt_tokens_details?.cache_creation_tokens ??
      x.cache_creation_input_tokens,
  );
  const extra = accounting === "in_addition" ? (cached ?? 0) + (written ?? 0) : 0;
  return {
    inputTokens: u.prompt_tokens + extra,
    outputTokens: u.completion_tokens,
    cachedTokens: cached,
    cacheWriteTokens: written,
    reasoningTokens: count(u.completion_tokens_details?.reasoning_tokens),
  };
}

/** A reported count, or null when absent or not a count. */
function count(n: unknown): number | null {
  return typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : null;
}

/**
 * One attempt's AbortController. The caller's signal and the idle watchdog both end the HTTP
 * request through it, and it remembers which did: openai ends a stream quietly on abort, so the
 * attempt cannot tell from the stream alone. release() when the attempt is over.
 */
export class AttemptControl {
  readonly #ctl = new AbortController();
  readonly #watchdog: IdleWatchdog;
  endedBy: "cancelled" | "timeout" | null = null;

  constructor(private readonly caller: AbortSignal | undefined, idleTimeoutMs: number) {
    this.#watchdog = new IdleWatchdog(idleTimeoutMs, () => this.#stop("timeout"));
    if (caller?.aborted) this.#stop("cancelled");
    caller?.addEventListener("abort", this.#onCancel, { once: true });
  }

  get signal(): AbortSignal {
    return this.#ctl.signal;
  }

  /** Data arrived: the watchdog starts counting again. */
  touch(): void {
    this.#watchdog.touch();
  }

  /** Stops the watchdog and unhooks the caller's signal; `abort` also drops the connection. */
  release(abort: boolean): void {
    this.#watchdog.stop();
    this.caller?.removeEventListener("abort", this.#onCancel);
    if (abort && !this.#ctl.signal.aborted) this.#ctl.abort();
  }

  #onCancel = () => this.#stop("cancelled");

  #stop(why: "cancelled" | "timeout"): void {
    this.endedBy ??= why;
    this.#ctl.abort(new DOMException(why, why === "timeout" ? "TimeoutError" : "AbortError"));
  }
}

/**
 * Calls onIdle once when touch() has not been called for ms. One timer re-armed lazily, rather
 * than cleared and set per chunk, keeps the per-chunk cost to a clock read.
 */
class IdleWatchdog {
  #last = performance.now();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ms: number, private readonly onIdle: () => void) {
    this.#arm(ms);
  }

  touch(): void {
    this.#last = performance.now();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(() => {
      const idle = performance.now() - this.#last;
      if (idle >= this.ms) {
        this.#timer = undefined;
        this.onIdle();
      } else this.#arm(this.ms - idle);
    }, delay);
  }
}
