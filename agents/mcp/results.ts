/**
 * What the model reads of an MCP tool's result: its text parts; the structured content as JSON
 * when there is no text; images, audio and binary resources as a one-line note (the model gets no
 * bytes); `isError` makes it a tool error. Long results are cut, saying so.
 */
import { storable, truncate } from "../spine/text.ts";
import type { CallToolResult } from "./sdk.ts";

/** A tool result beyond this many characters is cut (it goes into every later prompt). */
export const MAX_RESULT_CHARS = 50_000;

export function resultText(result: CallToolResult): { text: string; isError: boolean } {
  const parts = result.content.map((c) => {
    switch (c.type) {
      case "text":
        return c.text;
      case "image":
      case "audio":
        return `[${c.type} ${c.mimeType}, ${base64Bytes(c.data)} bytes]`;
      case "resource":
        return "text" in c.resource
          ? c.resource.text
          : `[resource ${c.resource.uri}${c.resource.mimeType ? `, ${c.resource.mimeType}` : ""}]`;
      case "resource_link":
        return `[resource link ${c.name}: ${c.uri}]`;
      default:
        return `[${(c as { type: string }).type} content]`;
    }
  });
  const hasText = result.content.some((c) => c.type === "text");
  if (!hasText && result.structuredContent !== undefined) {
    parts.unshift(JSON.stringify(result.structuredContent));
  }
  const text = parts.join("\n") || "(no content)";
  const cut = text.length > MAX_RESULT_CHARS
    ? truncate(
      text,
      MAX_RESULT_CHARS,
      `\n[… cut: ${text.length - MAX_RESULT_CHARS} more characters]`,
    )
    : text;
  return { text: storable(cut), isError: result.isError === true };
}

function base64Bytes(data: string): number {
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}
