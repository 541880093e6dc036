/**
 * One MCP server, supervised: connect (start the process, or reach the URL), list every page of
 * its tools, keep the list fresh on `list_changed`, and when the server fails to start, exits,
 * stops answering or its HTTP stream breaks, record why and connect again after a backoff
 * (0.5 s doubling to 30 s, with jitter; back to 0.5 s after a connection that lasted). Calls made
 * while it is down fail at once with the reason; calls in flight when it dies fail then, not at
 * their timeout. Each connection is a new SDK Client, so no state survives a restart.
 */
import type { Logger } from "../logging/logging.ts";
import { redact } from "../logging/secret.ts";
import { type McpServerSpec, secretsOf } from "./config.ts";
import type {
  CallToolResult,
  Client,
  LoggingMessageNotification,
  Progress,
  StreamableHTTPClientTransport,
  Tool,
} from "./sdk.ts";
import { stopStdio, trackProcess } from "./stdio_stop.ts";

type Sdk = typeof import("./sdk.ts");
/** Set by the first connection (loadSdk); every SDK object this module meets came after it. */
let sdk: Sdk | undefined;

/**
 * The SDK is loaded with the first connection, not with the program: a team without MCP servers
 * never holds it (~23 MiB of the process's RSS, measured importing app.ts with and without it).
 */
async function loadSdk(): Promise<Sdk> {
  return sdk ??= await import("./sdk.ts");
}

export type McpState = "starting" | "connected" | "restarting" | "stopped";
export type McpLogEntry = LoggingMessageNotification["params"];

export interface McpServerState {
  name: string;
  transport: "stdio" | "http";
  /** The command line or URL as the file has it. */
  display: string;
  state: McpState;
  tools: { name: string; description: string }[];
  lastError: string | null;
  /** Connection attempts after the first. */
  restarts: number;
  connectedAt: number | null;
  /** When the next attempt starts (state "restarting"). */
  retryAt: number | null;
}

export interface McpConnectionOptions {
  clientVersion: string;
  log: Logger;
  /** First delay before reconnecting; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Spawn (or first request) to tools listed. */
  connectTimeoutMs?: number;
  /** How long a liveness ping may take before the server counts as hung. */
  pingTimeoutMs?: number;
  /** How long a stdio server gets to exit after close() before it is killed. */
  stopGraceMs?: number;
}

export interface CallOptions {
  /** The run's cancellation: aborting sends notifications/cancelled to the server. */
  signal: AbortSignal;
  /** Sent as the request's `_meta` (the caller's identity). */
  meta?: Record<string, unknown>;
  onProgress?(progress: Progress): void;
  /** The server's log notifications while this is its only call in flight. */
  onLog?(entry: McpLogEntry): void;
  /** Named in the server's log when several calls are in flight. */
  runId: string;
}

/** Calls fail with this when the server cannot take them; the message says why. */
export class McpUnavailableError extends Error {}

interface Live {
  client: Client;
  /** Aborted by close() while the session is being set up. */
  stop: AbortController;
  /** Aborted when the session ends: fails the calls still waiting on it. */
  ended: AbortController;
  end(reason: string): void;
  stderr: StderrTail;
}

/** Keeps the last few KiB a stdio server wrote on stderr: its reason for failing is there. */
class StderrTail {
  #text = "";
  add(chunk: Uint8Array | string): void {
    this.#text =
      (this.#text + (typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk)))
        .slice(-4096);
  }
  /** The last lines, for an error message ("" when it said nothing). */
  last(lines = 5): string {
    return this.#text.trim().split("\n").slice(-lines).join("\n");
  }
}

export class McpConnection {
  readonly name: string;
  #state: McpState = "starting";
  #tools: Tool[] = [];
  #lastError: string | null = null;
  #restarts = 0;
  #connectedAt: number | null = null;
  #retryAt: number | null = null;
  /** The connection calls use: set while connected. */
  #live: Live | null = null;
  /** The session being set up or running. */
  #current: Live | null = null;
  #stopped = false;
  #wake = new AbortController();
  readonly #inFlight = new Set<CallOptions>();
  readonly #firstAttempt: Promise<void>;
  #firstAttemptDone!: () => void;
  readonly #loop: Promise<void>;
  readonly #o: Required<McpConnectionOptions>;

  constructor(readonly spec: McpServerSpec, opts: McpConnectionOptions) {
    this.name = spec.name;
    this.#o = {
      backoffMs: 500,
      maxBackoffMs: 30_000,
      connectTimeoutMs: 30_000,
      pingTimeoutMs: 5_000,
      stopGraceMs: 4_500,
      ...opts,
    };
    this.#firstAttempt = new Promise((resolve) => (this.#firstAttemptDone = resolve));
    this.#loop = this.#supervise();
  }

  /** Resolves once the first connection attempt has succeeded or failed. */
  ready(): Promise<void> {
    return this.#firstAttempt;
  }

  tools(): Tool[] {
    return this.#tools;
  }

  /** Why calls cannot be made now; null when connected. */
  unavailable(): string | null {
    if (this.#live) return null;
    const why = this.#lastError ? `: ${this.#lastError}` : "";
    if (this.#state === "stopped") return `MCP server "${this.name}" was stopped`;
    if (this.#state === "starting" && !this.#lastError) {
      return `MCP server "${this.name}" is still starting`;
    }
    const retry = this.#retryAt === null
      ? " (connecting again now)"
      : ` (next attempt in ${Math.max(0, Math.ceil((this.#retryAt - Date.now()) / 1000))} s)`;
    return `MCP server "${this.name}" is not connected${why}${retry}`;
  }

  status(): McpServerState {
    return {
      name: this.name,
      transport: this.spec.transport.kind,
      display: this.spec.display,
      state: this.#state,
      tools: this.#tools.map((t) => ({ name: t.name, description: t.description ?? "" })),
      lastError: this.#lastError,
      restarts: this.#restarts,
      connectedAt: this.#connectedAt,
      retryAt: this.#retryAt,
    };
  }

  async call(tool: string, args: Record<string, unknown>, o: CallOptions): Promise<CallToolResult> {
    const live = this.#live;
    if (!live) throw new McpUnavailableError(this.unavailable()!);
    const signal = AbortSignal.any([o.signal, live.ended.signal]);
    this.#inFlight.add(o);
    try {
      const result = await live.client.callTool(
        { name: tool, arguments: args, ...(o.meta && { _meta: o.meta }) },
        undefined,
        // onprogress is always given: without it the SDK sends no progress token.
        { signal, timeout: this.spec.timeoutMs, onprogress: (p) => o.onProgress?.(p) },
      );
      // The 2024-10 shape ({ toolResult }) still exists in the SDK's types.
      return "content" in result
        ? result as CallToolResult
        : { content: [{ type: "text", text: JSON.stringify(result.toolResult) }] };
    } catch (err) {
      if (o.signal.aborted) throw err; // the run was stopped: not the server's fault
      throw new Error(this.#callFailure(tool, err, live));
    } finally {
      this.#inFlight.delete(o);
    }
  }

  /** Stops supervising and the server (its process is gone when this resolves). */
  async close(): Promise<void> {
    this.#stopped = true;
    this.#current?.stop.abort();
    this.#current?.end("stopped");
    this.#wake.abort();
    await this.#loop;
    this.#state = "stopped";
    this.#tools = [];
  }

  #callFailure(tool: string, err: unknown, live: Live): string {
    const server = `MCP server "${this.name}"`;
    if (live.ended.signal.aborted) {
      return `${server} stopped during the call to ${tool}: ${live.ended.signal.reason}`;
    }
    const mcpCode = sdk && err instanceof sdk.McpError ? err.code : null;
    if (mcpCode === sdk?.ErrorCode.RequestTimeout) {
      void this.#checkAlive(live, `a call to ${tool} timed out`);
      return `${server} did not answer ${tool} within ${this.spec.timeoutMs} ms`;
    }
    if (mcpCode === sdk?.ErrorCode.ConnectionClosed) {
      return `${server} closed the connection during the call to ${tool}${this.#said(live)}`;
    }
    return `${server}: ${this.#redact(err instanceof Error ? err.message : String(err))}`;
  }

  async #supervise(): Promise<void> {
    let delay = this.#o.backoffMs;
    while (!this.#stopped) {
      const reason = await this.#session();
      if (this.#stopped) break;
      this.#lastError = reason;
      this.#o.log.warn("MCP server {server} is down: {reason}", { server: this.name, reason });
      // A connection that lasted says the server is fine in general: start the backoff over.
      const lasted = this.#connectedAt !== null && Date.now() - this.#connectedAt > 60_000;
      if (lasted) delay = this.#o.backoffMs;
      this.#connectedAt = null;
      this.#state = "restarting";
      const wait = delay * (0.8 + 0.4 * Math.random());
      this.#retryAt = Date.now() + wait;
      this.#firstAttemptDone();
      await sleep(wait, this.#wake.signal);
      this.#retryAt = null;
      delay = Math.min(delay * 2, this.#o.maxBackoffMs);
      if (!this.#stopped) this.#restarts++;
    }
    this.#firstAttemptDone();
  }

  /** One connection, from start to its end; resolves with why it ended. */
  async #session(): Promise<string> {
    let sdk: Sdk;
    try {
      sdk = await loadSdk();
    } catch (err) {
      return `the MCP SDK could not be loaded: ${describe(err)}`;
    }
    const stderr = new StderrTail();
    const transport = this.#transport(sdk, stderr);
    const tracked = transport instanceof sdk.StdioClientTransport ? trackProcess(transport) : null;
    const client = new sdk.Client({ name: "glassbox", version: this.#o.clientVersion }, {
      listChanged: {
        // autoRefresh lists only the first page: list every page ourselves.
        tools: { autoRefresh: false, debounceMs: 100, onChanged: () => void this.#relist(client) },
      },
    });
    let end!: (reason: string) => void;
    const ended = new Promise<string>((resolve) => (end = resolve));
    const live: Live = {
      client,
      stop: new AbortController(),
      ended: new AbortController(),
      end: (reason) => end(reason),
      stderr,
    };
    client.onclose = () => end(`the server closed the connection${this.#said(live)}`);
    client.onerror = (err) => this.#onTransportError(err, live);
    client.setNotificationHandler(
      sdk.LoggingMessageNotificationSchema,
      (n) => this.#onLog(n.params),
    );
    this.#current = live;
    let reason: string;
    try {
      // close() must not wait for a connect that takes its time.
      const stopped = whenAborted(live.stop.signal, "stopped");
      await Promise.race([
        client.connect(transport, { timeout: this.#o.connectTimeoutMs }),
        stopped,
      ]);
      if (client.getServerCapabilities()?.logging) {
        await client.setLoggingLevel("info").catch(() => {});
      }
      this.#tools = await Promise.race([listAllTools(client, this.#o.connectTimeoutMs), stopped]);
      this.#live = live;
      this.#state = "connected";
      this.#lastError = null;
      this.#connectedAt = Date.now();
      this.#o.log.info("MCP server {server} connected: {count} tools", {
        server: this.name,
        count: this.#tools.length,
      });
      this.#firstAttemptDone();
      reason = await ended;
    } catch (err) {
      reason = `${this.#redact(describe(err))}${this.#said(live)}`;
    } finally {
      this.#live = null;
      this.#current = null;
    }
    live.ended.abort(reason);
    if (tracked) await stopStdio(() => client.close(), tracked, this.#o.stopGraceMs);
    else await closeHttp(client, transport as StreamableHTTPClientTransport);
    return reason;
  }

  #transport(sdk: Sdk, stderr: StderrTail) {
    const t = this.spec.transport;
    if (t.kind === "http") {
      const headers = Object.fromEntries(
        Object.entries(t.headers).map(([k, v]) => [k, v.reveal()]),
      );
      return new sdk.StreamableHTTPClientTransport(new URL(t.url), { requestInit: { headers } });
    }
    const transport = new sdk.StdioClientTransport({
      command: t.command,
      args: t.args,
      env: Object.fromEntries(Object.entries(t.env).map(([k, v]) => [k, v.reveal()])),
      ...(t.cwd !== null && { cwd: t.cwd }),
      // Piped, never inherited: a failing server's reason is only on its stderr.
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Uint8Array) => stderr.add(chunk));
    return transport;
  }

  async #relist(client: Client): Promise<void> {
    try {
      const tools = await listAllTools(client, this.#o.connectTimeoutMs);
      if (this.#live?.client !== client) return;
      this.#tools = tools;
      this.#o.log.info("MCP server {server} changed its tools: {count} now", {
        server: this.name,
        count: tools.length,
      });
    } catch (err) {
      this.#o.log.warn("MCP server {server}: listing its changed tools failed: {error}", {
        server: this.name,
        error: this.#redact(describe(err)),
      });
    }
  }

  /**
   * The SDK reports transport trouble here without failing pending calls (an HTTP stream that
   * broke stays "open"): ask the server whether it is still there.
   */
  #onTransportError(err: Error, live: Live): void {
    // A progress note that arrived after its call's result (SDK #2580): harmless.
    if (/unknown token/i.test(err.message)) return;
    if (this.#live !== live) return;
    void this.#checkAlive(live, this.#redact(err.message));
  }

  #checking = false;
  async #checkAlive(live: Live, why: string): Promise<void> {
    if (this.#checking || this.#live !== live) return;
    this.#checking = true;
    try {
      await live.client.ping({ timeout: this.#o.pingTimeoutMs });
    } catch (err) {
      live.end(`stopped answering (${why}; ping: ${this.#redact(describe(err))})`);
    } finally {
      this.#checking = false;
    }
  }

  /** A log line belongs to a run only when that run's call is the only one in flight. */
  #onLog(entry: McpLogEntry): void {
    const data = this.#redact(
      typeof entry.data === "string" ? entry.data : JSON.stringify(entry.data),
    );
    const calls = [...this.#inFlight];
    if (calls.length === 1 && calls[0].onLog) return calls[0].onLog({ ...entry, data });
    this.#o.log.info("MCP server {server} ({logger}): {data}", {
      server: this.name,
      logger: entry.logger ?? "",
      level: entry.level,
      data,
      runs: calls.map((c) => c.runId),
    });
  }

  /** " — it said: …" with the last lines of a stdio server's stderr, redacted. */
  #said(live: Live): string {
    const last = live.stderr.last();
    return last ? ` — it said: ${this.#redact(last)}` : "";
  }

  #redact(text: string): string {
    return redact(text, secretsOf(this.spec));
  }
}

/** Every tool, following nextCursor. */
async function listAllTools(client: Client, timeout: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : undefined, { timeout });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

/** Ends the HTTP session (DELETE) if the server still answers quickly, then closes. */
async function closeHttp(client: Client, transport: StreamableHTTPClientTransport) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    transport.terminateSession().catch(() => {}),
    new Promise((resolve) => (timer = setTimeout(resolve, 1_000))),
  ]);
  clearTimeout(timer);
  await client.close().catch(() => {});
}

function describe(err: unknown): string {
  if (sdk && err instanceof sdk.StreamableHTTPError) return `${err.message} (HTTP ${err.code})`;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

/** Rejects once `signal` aborts (never, if it does not). */
function whenAborted(signal: AbortSignal, why: string): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(new Error(why));
    else signal.addEventListener("abort", () => reject(new Error(why)), { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
