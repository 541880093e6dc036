/**
 * What of a call's content is stored, per GLASSBOX_LOG_CONTENT: everything ("full"), nothing
 * ("off": prompt and response NULL, tool-call arguments dropped) or the first N characters of
 * each piece of text ("truncate"). Everything stored is also made safe for Postgres.
 */
import type { ContentLogging } from "../../config.ts";
import type { ChatMessage, LlmToolCall } from "./types.ts";

/** The prompt messages as stored in llm_calls.prompt, or null when content logging is off. */
export function promptForLog(messages: ChatMessage[], mode: ContentLogging): unknown[] | null {
  if (mode.mode === "off") return null;
  if (mode.mode === "full") return storableJson(messages) as unknown[];
  const n = mode.chars;
  return messages.map((m) => {
    const out: Record<string, unknown> = { ...m };
    if (typeof m.content === "string") out.content = clip(m.content, n);
    else if (Array.isArray(m.content)) out.content = clipParts(m.content, n);
    if ("tool_calls" in m && Array.isArray(m.tool_calls)) {
      out.tool_calls = m.tool_calls.map((c) =>
        c.type === "function"
          ? { ...c, function: { ...c.function, arguments: clip(c.function.arguments, n) } }
          : c
      );
    }
    return storableJson(out);
  });
}

/** The response text as stored in llm_calls.response; null when empty or logging is off. */
export function textForLog(text: string, mode: ContentLogging): string | null {
  if (mode.mode === "off" || text === "") return null;
  return mode.mode === "full" ? storable(text) : clip(text, mode.chars);
}

/** Tool calls as stored: ids and names always; arguments per the content mode. */
export function toolCallsForLog(calls: LlmToolCall[], mode: ContentLogging): unknown[] | null {
  if (calls.length === 0) return null;
  return calls.map((c) => ({
    id: storable(c.id),
    name: storable(c.name),
    ...(mode.mode === "full" && { arguments: storable(c.arguments) }),
    ...(mode.mode === "truncate" && { arguments: clip(c.arguments, mode.chars) }),
  }));
}

/**
 * Postgres rejects NUL in text and jsonb, and an unpaired UTF-16 surrogate in jsonb; either would
 * lose the whole row, so replace them with U+FFFD.
 */
export function storable(s: string): string {
  return s.toWellFormed().replaceAll("\0", "\uFFFD");
}

export function storableJson(value: unknown): unknown {
  if (typeof value === "string") return storable(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[storable(k)] = storableJson(v);
    return out;
  }
  return value;
}

/** First n UTF-16 units, never ending inside a surrogate pair (which jsonb would reject). */
function clip(s: string, n: number): string {
  if (s.length <= n) return storable(s);
  const end = isHighSurrogate(s.charCodeAt(n - 1)) ? n - 1 : n;
  return storable(s.slice(0, end));
}

/** Text parts share the message's budget; other parts (images, audio) keep only their type. */
function clipParts(parts: unknown[], n: number): unknown[] {
  let left = n;
  return parts.map((p) => {
    const part = p as { type?: string; text?: string };
    if (part.type === "text" && typeof part.text === "string") {
      const text = clip(part.text, left);
      left -= text.length;
      return { type: "text", text };
    }
    return { type: part.type ?? "unknown" };
  });
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
