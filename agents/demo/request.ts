/**
 * Validation of the demo model's chat.completions request bodies: enough to answer a malformed
 * request with an OpenAI-style 400 instead of a crash, and to hand the brain typed input.
 */
import type { ChatMessage } from "../llm/types.ts";

export interface ChatRequest {
  messages: ChatMessage[];
  toolNames: string[];
  toolsAllowed: boolean;
  stream: boolean;
  includeUsage: boolean;
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool"]);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Returns the request, or an error message for a 400. */
export function parseChatRequest(body: unknown): ChatRequest | string {
  if (!isObject(body)) return "the request body must be a JSON object";
  if (typeof body.model !== "string" || !body.model) return "`model` must be a non-empty string";
  const { messages, tools } = body;
  if (!Array.isArray(messages) || messages.length === 0) {
    return "`messages` must be a non-empty array";
  }
  for (const [i, m] of messages.entries()) {
    if (!isObject(m) || typeof m.role !== "string" || !ROLES.has(m.role)) {
      return `messages[${i}] must be an object with a role of ${[...ROLES].join(", ")}`;
    }
    const c = m.content;
    if (!(typeof c === "string" || Array.isArray(c) || (c == null && m.role === "assistant"))) {
      return `messages[${i}].content must be a string or an array of content parts`;
    }
    if (m.role === "tool" && typeof m.tool_call_id !== "string") {
      return `messages[${i}].tool_call_id must be a string`;
    }
  }
  if (tools !== undefined && !Array.isArray(tools)) return "`tools` must be an array";
  const toolNames: string[] = [];
  for (const [i, t] of (tools ?? []).entries()) {
    if (!isObject(t) || t.type !== "function" || !isObject(t.function)) {
      return `tools[${i}] must be {"type":"function","function":{…}}`;
    }
    if (typeof t.function.name !== "string" || !/^[\w-]{1,64}$/.test(t.function.name)) {
      return `tools[${i}].function.name must match ^[a-zA-Z0-9_-]{1,64}$`;
    }
    toolNames.push(t.function.name);
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== "boolean") {
    return "`stream` must be a boolean";
  }
  const opts = body.stream_options;
  if (opts !== undefined && opts !== null && !isObject(opts)) {
    return "`stream_options` must be an object";
  }
  return {
    messages: messages as ChatMessage[],
    toolNames,
    toolsAllowed: body.tool_choice !== "none",
    stream: body.stream === true,
    includeUsage: isObject(opts) && opts.include_usage === true,
  };
}

export function errorResponse(status: number, message: string, type: string): Response {
  return Response.json({ error: { message, type, param: null, code: null } }, { status });
}
