/**
 * The offline demo model's wire format: an OpenAI-compatible chat.completions endpoint, so the
 * real client, recorder and runtime are exercised unchanged without any network or key. What it
 * says comes from brain.ts and requests are checked by request.ts; this module emits the reply as
 * a chat.completion or as chat.completion.chunk SSE, slowly enough for a person to watch.
 */
import { DEMO_MODEL } from "../../config/llm.ts";
import { decideReply, type DemoReply, fingerprint, messageText } from "./brain.ts";
import { errorResponse, parseChatRequest } from "./request.ts";
import type { ChatMessage } from "../llm/types.ts";

export interface DemoModelOptions {
  /** Pause before each content/argument chunk of a stream. */
  chunkDelayMs: number;
  /** Called once per stream when it ends: for logs and for tests that check abort handling. */
  onStreamEnd?(info: { chunksSent: number; cancelled: boolean }): void;
}

/** "Word-ish" pieces: each word with the whitespace after it, so joining restores the text. */
export function splitText(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * Several fragments, none empty: the client must join them to get valid JSON. Cut between code
 * points, never inside a surrogate pair (half an emoji is not text anyone can store).
 */
export function splitArguments(json: string): string[] {
  const points = Array.from(json);
  const size = Math.max(1, Math.ceil(points.length / 4));
  const parts: string[] = [];
  for (let i = 0; i < points.length; i += size) parts.push(points.slice(i, i + size).join(""));
  return parts;
}

function promptTokens(messages: ChatMessage[]): number {
  let chars = 0;
  for (const m of messages) {
    chars += messageText(m).length;
    for (const c of (m as { tool_calls?: unknown[] }).tool_calls ?? []) {
      chars += JSON.stringify(c).length;
    }
  }
  return Math.ceil(chars / 4);
}

type Delta = Record<string, unknown>;

/** The reply as the deltas a stream would carry; their count is the completion token count. */
function replyDeltas(reply: DemoReply): Delta[] {
  if (reply.toolCalls.length === 0) return splitText(reply.text).map((content) => ({ content }));
  return reply.toolCalls.flatMap((call, index) =>
    splitArguments(call.arguments).map((args, n) => ({
      tool_calls: [
        n === 0
          ? { index, id: call.id, type: "function", function: { name: call.name, arguments: args } }
          : { index, function: { arguments: args } },
      ],
    }))
  );
}

interface ReplyMeta {
  id: string;
  created: number;
  finishReason: "stop" | "tool_calls";
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function completionJson(reply: DemoReply, meta: ReplyMeta) {
  const message = reply.toolCalls.length
    ? {
      role: "assistant",
      content: null,
      tool_calls: reply.toolCalls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: c.arguments },
      })),
    }
    : { role: "assistant", content: reply.text };
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: DEMO_MODEL,
    choices: [{
      index: 0,
      message: { ...message, refusal: null },
      logprobs: null,
      finish_reason: meta.finishReason,
    }],
    usage: meta.usage,
  };
}

/** The SSE payloads in order; `delay` marks content/argument chunks, paced for watching. */
function streamEvents(deltas: Delta[], meta: ReplyMeta, includeUsage: boolean) {
  const chunk = (delta: Delta | null, finish: string | null = null) => ({
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: DEMO_MODEL,
    choices: delta ? [{ index: 0, delta, logprobs: null, finish_reason: finish }] : [],
    // With include_usage, OpenAI sends usage null on every chunk but the last.
    ...(includeUsage ? { usage: delta ? null : meta.usage } : {}),
  });
  return [
    { delay: false, data: JSON.stringify(chunk({ role: "assistant", content: "" })) },
    ...deltas.map((d) => ({ delay: true, data: JSON.stringify(chunk(d)) })),
    { delay: false, data: JSON.stringify(chunk({}, meta.finishReason)) },
    ...(includeUsage ? [{ delay: false, data: JSON.stringify(chunk(null)) }] : []),
    { delay: false, data: "[DONE]" },
  ];
}

export class DemoModel {
  constructor(private readonly options: DemoModelOptions) {}

  /** Handles POST /v1/chat/completions. */
  async respond(request: Request): Promise<Response> {
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return errorResponse(400, "the request body is not valid JSON", "invalid_request_error");
    }
    const req = parseChatRequest(body);
    if (typeof req === "string") return errorResponse(400, req, "invalid_request_error");

    const reply = decideReply(req);
    const deltas = replyDeltas(reply);
    const prompt = promptTokens(req.messages);
    const meta: ReplyMeta = {
      id: `chatcmpl-demo-${fingerprint(JSON.stringify(body))}`,
      created: Math.floor(Date.now() / 1000),
      finishReason: reply.toolCalls.length ? "tool_calls" : "stop",
      usage: {
        prompt_tokens: prompt,
        completion_tokens: deltas.length,
        total_tokens: prompt + deltas.length,
      },
    };
    if (!req.stream) return Response.json(completionJson(reply, meta));
    return new Response(this.sse(streamEvents(deltas, meta, req.includeUsage)), {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  }

  /**
   * Pull-based with highWaterMark 0: a chunk is produced only when the reader asks for it, so
   * after a cancel (client gone or aborted) nothing more is computed and no timer stays armed.
   */
  private sse(events: { delay: boolean; data: string }[]): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    const { chunkDelayMs, onStreamEnd } = this.options;
    let next = 0;
    let chunksSent = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wake: (() => void) | undefined;
    let ended = false;
    const end = (cancelled: boolean) => {
      if (ended) return;
      ended = true;
      onStreamEnd?.({ chunksSent, cancelled });
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const event = events[next++];
        if (event.delay && chunkDelayMs > 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, chunkDelayMs);
          });
          if (ended) return; // cancelled while waiting
        }
        if (event.delay) chunksSent++;
        controller.enqueue(encoder.encode(`data: ${event.data}\n\n`));
        if (next === events.length) {
          controller.close();
          end(false);
        }
      },
      cancel: () => {
        clearTimeout(timer);
        end(true);
        wake?.();
      },
    }, { highWaterMark: 0 });
  }
}
