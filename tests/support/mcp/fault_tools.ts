/**
 * One MCP server, built with the SDK's McpServer, whose tools cover what a client must handle:
 * progress, a slow cancellable call, isError, a thrown error, logging, an image, structured
 * content, a crash and a hang mid-call, a frozen server, the caller's identity, and a tool list
 * that changes. Served over stdio (stdio_faults.ts) and Streamable HTTP (http_faults.ts).
 * FAULTS_LOG=<file>: every notifications/cancelled received is appended there as a JSON line.
 */
import { z } from "zod";
import { type JSONRPCMessage, McpServer, type Transport } from "./sdk_server.ts";

// 1x1 transparent PNG (68 bytes).
const PNG_1PX =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

const received: unknown[] = [];

/** Records every `notifications/cancelled` that reaches the transport (call after connect()). */
export function recordCancellations(transport: Transport): void {
  const deliver = transport.onmessage;
  const file = Deno.env.get("FAULTS_LOG");
  transport.onmessage = (message: JSONRPCMessage, extra) => {
    if ("method" in message && message.method === "notifications/cancelled") {
      received.push(message);
      if (file) Deno.writeTextFileSync(file, JSON.stringify(message) + "\n", { append: true });
    }
    deliver?.(message, extra);
  };
}

const text = (t: string) => ({ content: [{ type: "text" as const, text: t }] });

export function buildFaultServer(): McpServer {
  const mcp = new McpServer(
    { name: "glassbox-faults", version: "0.0.1" },
    { capabilities: { logging: {}, tools: { listChanged: true } } },
  );
  mcp.registerTool("echo", {
    description: "Echo the text back",
    inputSchema: { text: z.string() },
  }, ({ text: t }) => text(t));

  mcp.registerTool("progress", {
    description: "Report `steps` progress notifications, then answer",
    inputSchema: { steps: z.number().int().min(1).max(100) },
  }, async ({ steps }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= steps; i++) {
      if (token === undefined) break;
      await extra.sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress: i, total: steps, message: `step ${i}` },
      });
      await new Promise((r) => setTimeout(r, 5)); // each note in its own chunk
    }
    return text(`did ${steps} steps`);
  });

  // Answers when cancelled (or after `ms`); one progress note first tells the client the call
  // has reached the handler, so tests need no sleeps.
  mcp.registerTool("slow", {
    description: "Wait `ms` milliseconds unless cancelled",
    inputSchema: { ms: z.number().int().min(0) },
  }, async ({ ms }, extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined) {
      await extra.sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress: 0, message: "started" },
      });
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      extra.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
    return text(extra.signal.aborted ? "cancelled" : "finished");
  });

  mcp.registerTool("cancellations", {
    description: "The cancellation notifications this server has received",
  }, () => text(JSON.stringify(received)));

  mcp.registerTool("fail", { description: "Return a tool-level error" }, () => ({
    isError: true,
    content: [{ type: "text", text: "disk quota exceeded" }],
  }));

  mcp.registerTool("throws", { description: "Throw inside the handler" }, () => {
    throw new Error("handler blew up");
  });

  mcp.registerTool("logs", {
    description: "Send one log notification per level, echoing `secret` in one",
    inputSchema: { secret: z.string().optional() },
  }, async ({ secret }, extra) => {
    for (const level of ["debug", "info", "warning", "error"] as const) {
      const data = level === "warning" && secret ? `token ${secret} rejected` : `a ${level} line`;
      await mcp.sendLoggingMessage({ level, logger: "faults", data }, extra.sessionId);
    }
    return text("logged");
  });

  mcp.registerTool("image", { description: "Return text and a PNG image" }, () => ({
    content: [
      { type: "text", text: "a pixel" },
      { type: "image", data: PNG_1PX, mimeType: "image/png" },
    ],
  }));

  mcp.registerTool("weather", {
    description: "Structured result only",
    inputSchema: { city: z.string() },
    outputSchema: { city: z.string(), celsius: z.number() },
  }, ({ city }) => ({ content: [], structuredContent: { city, celsius: 21.5 } }));

  mcp.registerTool("crash", { description: "Exit in the middle of the call" }, () => {
    console.error("faults: crashing on purpose");
    Deno.exit(3);
  });

  mcp.registerTool(
    "hang",
    { description: "Never answer, ignore cancellation" },
    () => new Promise(() => {}),
  );

  mcp.registerTool("freeze", { description: "Busy-loop: the whole server hangs" }, () => {
    for (;;) { /* spin */ }
  });

  mcp.registerTool("whoami", {
    description: "Echo the caller identity: request _meta and HTTP headers",
  }, (extra) =>
    text(JSON.stringify({
      meta: extra._meta ?? null,
      authorization: extra.requestInfo?.headers?.["authorization"] ?? null,
    })));

  let added = 0;
  mcp.registerTool("add_tool", { description: "Register a tool named extra_<n>" }, () => {
    const name = `extra_${++added}`;
    // registerTool makes McpServer send notifications/tools/list_changed.
    mcp.registerTool(name, { description: "added at run time" }, () => text(`${name} here`));
    return text(name);
  });
  return mcp;
}
