/**
 * A scripted OpenAI-compatible chat server over real HTTP, for integration tests.
 *
 *   const llm = startScriptedLlm([{ kind: "text", chunks: ["Hel", "lo"] }]);
 *   const openai = createOpenAi({ baseURL: llm.url, apiKey: "test" });   // llm.url ends in /v1
 *   … llm.requests[0].body.messages …
 *   await llm.close();
 *
 * Each POST /v1/chat/completions takes the next script from the queue (`push()` adds more) and
 * answers it as SSE when the request has `stream: true`, else as one JSON completion. When the
 * queue is empty the server answers 500 "no script left", so a test that makes an unexpected
 * extra call fails loudly. Usage is sent like OpenAI does: streamed only when the request asked
 * for `stream_options.include_usage`, as a last chunk with `choices: []`; `usage: null` in a
 * script sends none at all; leaving it out sends `{ prompt_tokens: 10, completion_tokens: <number
 * of chunks or fragments> }`.
 *
 * Every request is recorded in `requests` (parsed body, headers) with its fate: `ended`
 * resolves "completed" when the whole answer was written, or "disconnected" when the client went
 * away first (how cancel and timeout tests prove the HTTP connection really closed).
 */

export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
  /** Sent as prompt_tokens_details.cached_tokens. */
  cached?: number;
  /** Sent as completion_tokens_details.reasoning_tokens. */
  reasoning?: number;
}

export interface ScriptedToolCall {
  id: string;
  name: string;
  /** The JSON arguments, split however the test likes; each is one chunk. */
  argFragments: string[];
}

export type Script =
  /**
   * A text answer; `delayMs` waits before each chunk. `model` overrides the response model.
   * `hold` keeps the answer back (after the response headers) until it resolves.
   */
  | {
    kind: "text";
    chunks: string[];
    hold?: Promise<unknown>;
    usage?: ScriptedUsage | null;
    delayMs?: number;
    model?: string;
    finishReason?: string;
  }
  /**
   * Tool calls (optionally after some text), arguments streamed fragment by fragment. `hold`
   * keeps the answer back (after the response headers) until it resolves.
   */
  | {
    kind: "tool_calls";
    calls: ScriptedToolCall[];
    text?: string[];
    usage?: ScriptedUsage | null;
    delayMs?: number;
    hold?: Promise<unknown>;
  }
  /** An HTTP error, e.g. 429 with `retryAfter: "1"`; `body` defaults to an OpenAI error object. */
  | { kind: "status"; status: number; retryAfter?: string; body?: unknown }
  /**
   * Sends these chunks (none: not even the opening role chunk; non-streaming: only the headers),
   * then hangs until the client leaves.
   */
  | { kind: "stall"; afterChunks: string[] }
  /** Like text, but meant to be cancelled by the client part-way: `delayMs` before each chunk. */
  | { kind: "slow"; chunks: string[]; delayMs: number; usage?: ScriptedUsage | null }
  /** Streams these chunks, then ends the response cleanly with no finish_reason and no [DONE]. */
  | { kind: "cut"; afterChunks: string[] }
  /**
   * Provider quirks: each event is sent as one `data:` line as is (strings verbatim, anything else
   * as JSON), then `data: [DONE]` unless `done: false`. Non-streaming: events[0] is the body.
   */
  | { kind: "raw"; events: unknown[]; delayMs?: number; done?: boolean };

export interface ScriptedRequest {
  /** The parsed JSON body (model, messages, tools, stream, stream_options…). */
  body: Record<string, unknown>;
  headers: Headers;
  /** The script that answered it; undefined when the queue was empty. */
  script: Script | undefined;
  state: "open" | "completed" | "disconnected";
  ended: Promise<"completed" | "disconnected">;
}

export interface ScriptedLlm {
  /** OpenAI base URL, e.g. http://127.0.0.1:43121/v1 */
  url: string;
  origin: string;
  requests: ScriptedRequest[];
  push(...scripts: Script[]): void;
  /** Scripts not yet used. */
  remaining(): number;
  /** Ends hanging responses, then stops the server. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const enc = new TextEncoder();

export function startScriptedLlm(scripts: Script[] = []): ScriptedLlm {
  const queue = [...scripts];
  const requests: ScriptedRequest[] = [];
  /** Responses still writing; closed by close() so shutdown does not wait on a stall. */
  const live = new Set<AbortController>();
  let seq = 0;

  const handler = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path === "/v1/models") {
      return Response.json({ object: "list", data: [{ id: "scripted", object: "model" }] });
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      return Response.json({ error: { message: `no route ${req.method} ${path}` } }, {
        status: 404,
      });
    }
    const body = await req.json() as Record<string, unknown>;
    const script = queue.shift();
    let settle!: (v: "completed" | "disconnected") => void;
    const record: ScriptedRequest = {
      body,
      headers: req.headers,
      script,
      state: "open",
      ended: new Promise((r) => settle = r),
    };
    const finish = (how: "completed" | "disconnected") => {
      if (record.state !== "open") return;
      record.state = how;
      settle(how);
    };
    requests.push(record);

    if (!script) {
      finish("completed");
      return errorResponse(500, { error: { message: "scripted server: no script left" } });
    }
    if (script.kind === "status") {
      finish("completed");
      const headers: Record<string, string> = {};
      if (script.retryAfter !== undefined) headers["retry-after"] = script.retryAfter;
      const errBody = script.body ??
        { error: { message: `scripted ${script.status}`, type: "scripted_error" } };
      return errorResponse(script.status, errBody, headers);
    }
    const ctx = {
      id: `chatcmpl-scripted-${++seq}`,
      model: ("model" in script && script.model) || String(body.model ?? "scripted"),
      created: Math.floor(Date.now() / 1000),
    };
    const plan = script.kind === "raw"
      ? rawAnswer(script, body.stream === true)
      : body.stream === true
      ? sseEvents(script, ctx, streamOptions(body).include_usage === true)
      : jsonAnswer(script, ctx);
    const ac = new AbortController();
    live.add(ac);
    const write = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
      try {
        if ((script.kind === "tool_calls" || script.kind === "text") && script.hold) {
          await Promise.race([script.hold, sleep(Infinity, ac.signal)]);
        }
        for (const step of plan.steps) {
          if (step.delayMs) await sleep(step.delayMs, ac.signal);
          controller.enqueue(enc.encode(step.data));
        }
        if (plan.hang) await sleep(Infinity, ac.signal);
        controller.close();
        finish("completed");
      } catch {
        // cancel() (the client left) or close() aborted us; otherwise end the body with an error.
        if (!ac.signal.aborted) controller.error(new Error("scripted stream failed"));
        else if (record.state === "open") { // close(): end what we were sending
          controller.close();
          finish("completed");
        }
      } finally {
        live.delete(ac);
      }
    };
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        void write(controller);
      },
      cancel() {
        finish("disconnected");
        ac.abort();
      },
    });
    return new Response(stream, { headers: { "content-type": plan.contentType } });
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const close = async () => {
    for (const ac of live) ac.abort();
    await server.shutdown();
  };
  return {
    url: `${origin}/v1`,
    origin,
    requests,
    push: (...more) => void queue.push(...more),
    remaining: () => queue.length,
    close,
    [Symbol.asyncDispose]: close,
  };
}

type Cooked = Exclude<Script, { kind: "status" } | { kind: "raw" }>;

function rawAnswer(script: Extract<Script, { kind: "raw" }>, streaming: boolean): Plan {
  const text = (e: unknown) => typeof e === "string" ? e : JSON.stringify(e);
  if (!streaming) {
    return {
      steps: [{ data: text(script.events[0] ?? ""), delayMs: script.delayMs }],
      hang: false,
      contentType: "application/json",
    };
  }
  const steps = script.events.map((e) => ({
    data: `data: ${text(e)}\n\n`,
    delayMs: script.delayMs,
  }));
  if (script.done !== false) steps.push({ data: "data: [DONE]\n\n", delayMs: undefined });
  return { steps, hang: false, contentType: SSE };
}

interface Step {
  data: string;
  delayMs?: number;
}
interface Plan {
  steps: Step[];
  /** Keep the response open after the steps until the client leaves. */
  hang: boolean;
  contentType: string;
}
interface Ctx {
  id: string;
  model: string;
  created: number;
}

function errorResponse(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function streamOptions(body: Record<string, unknown>): { include_usage?: boolean } {
  const o = body.stream_options;
  return typeof o === "object" && o !== null ? o as { include_usage?: boolean } : {};
}

function usageJson(usage: ScriptedUsage) {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    ...(usage.cached !== undefined && {
      prompt_tokens_details: { cached_tokens: usage.cached },
    }),
    ...(usage.reasoning !== undefined && {
      completion_tokens_details: { reasoning_tokens: usage.reasoning },
    }),
  };
}

function defaultUsage(script: Cooked): ScriptedUsage | null {
  if ("usage" in script && script.usage !== undefined) return script.usage;
  const parts = script.kind === "tool_calls"
    ? script.calls.reduce((n, c) => n + c.argFragments.length, script.text?.length ?? 0)
    : script.kind === "stall" || script.kind === "cut"
    ? script.afterChunks.length
    : script.chunks.length;
  return { prompt_tokens: 10, completion_tokens: parts };
}

function sseEvents(
  script: Cooked,
  ctx: Ctx,
  withUsage: boolean,
): Plan {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id: ctx.id,
    object: "chat.completion.chunk",
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const delay = script.kind === "text" || script.kind === "slow" || script.kind === "tool_calls"
    ? script.delayMs
    : undefined;
  const events: Step[] = [];
  const send = (payload: unknown) =>
    events.push({ data: `data: ${JSON.stringify(payload)}\n\n`, delayMs: delay });
  // A stall or cut with no chunks sends no bytes at all (stalls before the first chunk).
  const silent = (script.kind === "stall" || script.kind === "cut") && !script.afterChunks.length;
  if (!silent) send(chunk({ role: "assistant", content: "" }));

  const texts = script.kind === "tool_calls"
    ? script.text ?? []
    : script.kind === "stall" || script.kind === "cut"
    ? script.afterChunks
    : script.chunks;
  for (const t of texts) send(chunk({ content: t }));
  if (script.kind === "stall") return { steps: events, hang: true, contentType: SSE };
  if (script.kind === "cut") return { steps: events, hang: false, contentType: SSE };

  if (script.kind === "tool_calls") {
    script.calls.forEach((c, index) => {
      send(chunk({
        tool_calls: [{
          index,
          id: c.id,
          type: "function",
          function: { name: c.name, arguments: "" },
        }],
      }));
      for (const f of c.argFragments) {
        send(chunk({ tool_calls: [{ index, function: { arguments: f } }] }));
      }
    });
  }
  const finish = script.kind === "tool_calls"
    ? "tool_calls"
    : script.kind === "text"
    ? script.finishReason ?? "stop"
    : "stop";
  send(chunk({}, finish));
  const usage = defaultUsage(script);
  if (withUsage && usage) {
    send({
      id: ctx.id,
      object: "chat.completion.chunk",
      created: ctx.created,
      model: ctx.model,
      choices: [],
      usage: usageJson(usage),
    });
  }
  events.push({ data: "data: [DONE]\n\n" });
  return { steps: events, hang: false, contentType: SSE };
}

const SSE = "text/event-stream";

function jsonAnswer(script: Cooked, ctx: Ctx): Plan {
  if (script.kind === "stall" || script.kind === "cut") {
    // Headers go out at once; the body never comes (stall) or is not JSON (cut).
    return { steps: [], hang: script.kind === "stall", contentType: "application/json" };
  }
  const text = script.kind === "tool_calls" ? (script.text ?? []).join("") : script.chunks.join("");
  const toolCalls = script.kind === "tool_calls"
    ? script.calls.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.name, arguments: c.argFragments.join("") },
    }))
    : undefined;
  const usage = defaultUsage(script);
  const body = {
    id: ctx.id,
    object: "chat.completion",
    created: ctx.created,
    model: ctx.model,
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: text || null,
        ...(toolCalls && { tool_calls: toolCalls }),
      },
      finish_reason: toolCalls
        ? "tool_calls"
        : script.kind === "text"
        ? script.finishReason ?? "stop"
        : "stop",
    }],
    ...(usage && { usage: usageJson(usage) }),
  };
  const delay = "delayMs" in script ? script.delayMs : undefined;
  return {
    steps: [{ data: JSON.stringify(body), delayMs: delay }],
    hang: false,
    contentType: "application/json",
  };
}

/** Resolves after ms (never, for Infinity) unless the signal aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    function done() {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(t);
      reject(signal.reason);
    }
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
