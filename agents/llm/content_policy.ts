/**
 * What of a call's content is stored, per GLASSBOX_LOG_CONTENT: everything ("full"), nothing
 * ("off": prompt and response NULL, tool-call arguments dropped) or the first N characters of
 * each piece of text ("truncate"). Everything stored is also made safe for Postgres.
 */
import type { ContentLogging } from "../../config/logging.ts";
import { clip, storable, storableJson } from "../spine/text.ts";
import type { ChatMessage, LlmToolCall } from "./types.ts";

/** The prompt messages as stored in llm_calls.prompt, or null when content logging is off. */
export function promptForLog(messages: ChatMessage[], mode: ContentLogging): unknown[] | null {
  if (mode.mode === "off") return null;
  if (mode.mode === "full") return storableJson(messages) as unknown[];
  const n = mode.chars;
  return messages.map((m) => {
    const out: Record<string, unknown> = { ...m };
    if (typeof m.content === "string") out.content = clipped(m.content, n);
    else if (Array.isArray(m.content)) out.content = clipParts(m.content, n);
    if ("tool_calls" in m && Array.isArray(m.tool_calls)) {
      out.tool_calls = m.tool_calls.map((c) =>
        c.type === "function"
          ? { ...c, function: { ...c.function, arguments: clipped(c.function.arguments, n) } }
          : c
      );
    }
    return storableJson(out);
  });
}

/** The response text as stored in llm_calls.response; null when empty or logging is off. */
export function textForLog(text: string, mode: ContentLogging): string | null {
  if (mode.mode === "off" || text === "") return null;
  return mode.mode === "full" ? storable(text) : clipped(text, mode.chars);
}

/** Tool calls as stored: ids and names always; arguments per the content mode. */
export function toolCallsForLog(calls: LlmToolCall[], mode: ContentLogging): unknown[] | null {
  if (calls.length === 0) return null;
  return calls.map((c) => ({
    id: storable(c.id),
    name: storable(c.name),
    ...(mode.mode === "full" && { arguments: storable(c.arguments) }),
    ...(mode.mode === "truncate" && { arguments: clipped(c.arguments, mode.chars) }),
  }));
}

/** The first n units of s, cut code-point safe and made storable. */
function clipped(s: string, n: number): string {
  return storable(clip(s, n));
}

/** Text parts share the message's budget; other parts (images, audio) keep only their type. */
function clipParts(parts: unknown[], n: number): unknown[] {
  let left = n;
  return parts.map((p) => {
    const part = p as { type?: string; text?: string };
    if (part.type === "text" && typeof part.text === "string") {
      const text = clipped(part.text, left);
      left -= text.length;
      return { type: "text", text };
    }
    return { type: part.type ?? "unknown" };
  });
}
