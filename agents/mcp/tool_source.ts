/**
 * An MCP server's tools as an agent's tool source: the server's current list (or the subset the
 * team file names), each tool calling through the supervised connection with the run's
 * cancellation, the server's timeout and, when the file asks for it, the caller's identity in
 * `_meta`. Progress notifications become the run's progress; log notifications the run's log.
 */
import type { LogLevel } from "../spine/events.ts";
import type { ToolContext, ToolDef, ToolSource } from "../runtime/types.ts";
import type { McpConnection, McpLogEntry } from "./connection.ts";
import { resultText } from "./results.ts";
import type { Tool } from "./sdk.ts";

export function mcpToolSource(conn: McpConnection, only: string[] | null): ToolSource {
  let listed: Tool[] | null = null;
  let defs: ToolDef[] = [];
  return {
    name: conn.name,
    tools() {
      // Rebuilt only when the server's list changed.
      if (conn.tools() !== listed) {
        listed = conn.tools();
        defs = listed.filter((t) => !only || only.includes(t.name)).map((t) => toolDef(conn, t));
      }
      return defs;
    },
    unavailable: () => conn.unavailable(),
  };
}

function toolDef(conn: McpConnection, tool: Tool): ToolDef {
  return {
    name: tool.name,
    description: tool.description ?? tool.title ?? "",
    server: conn.name,
    parameters: tool.inputSchema,
    async run(args, ctx) {
      const result = await conn.call(tool.name, args, {
        signal: ctx.signal,
        runId: ctx.runId,
        meta: conn.spec.identity ? identity(ctx) : undefined,
        onProgress: (p) => ctx.progress(progressMessage(conn.name, tool.name, p)),
        onLog: (entry) => ctx.log(logLevel(entry.level), logText(conn.name, entry)),
      });
      const { text, isError } = resultText(result);
      if (isError) throw new Error(text);
      return text;
    },
  };
}

/** Who is calling, for servers that act on a user's behalf. */
function identity(ctx: ToolContext): Record<string, unknown> {
  return {
    "glassbox/user_id": ctx.userId,
    "glassbox/conversation_id": ctx.conversationId,
    "glassbox/run_id": ctx.runId,
    "glassbox/agent": ctx.agentName,
  };
}

function progressMessage(
  server: string,
  tool: string,
  p: { progress: number; total?: number; message?: string },
): string {
  const count = p.total ? `${p.progress}/${p.total}` : `${p.progress}`;
  return `${server} · ${tool}: ${p.message ? `${p.message} ` : ""}(${count})`;
}

const LEVELS: Record<McpLogEntry["level"], LogLevel> = {
  debug: "debug",
  info: "info",
  notice: "info",
  warning: "warning",
  error: "error",
  critical: "fatal",
  alert: "fatal",
  emergency: "fatal",
};

function logLevel(level: McpLogEntry["level"]): LogLevel {
  return LEVELS[level] ?? "info";
}

function logText(server: string, entry: McpLogEntry): string {
  const data = typeof entry.data === "string" ? entry.data : JSON.stringify(entry.data);
  return `${server}${entry.logger ? ` (${entry.logger})` : ""}: ${data}`;
}
