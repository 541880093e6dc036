/**
 * The MCP servers Glassbox is connected to, shared between team versions: a server whose
 * configuration did not change across a reload keeps its connection; one no team version holds
 * any more (the current team and those of runs still running) is stopped. Nothing outlives
 * Glassbox: close() stops every server, and a process exit SIGKILLs any server process left.
 */
import type { Logger } from "../logging/logging.ts";
import type { McpServerSpec } from "./config.ts";
import { McpConnection, type McpConnectionOptions, type McpServerState } from "./connection.ts";
import { killStragglers } from "./stdio_stop.ts";

export class McpServers {
  readonly #byKey = new Map<string, { conn: McpConnection; holders: number }>();
  readonly #closing = new Set<Promise<void>>();
  readonly #onExit = () => killStragglers();

  constructor(
    private readonly opts: Omit<McpConnectionOptions, "log"> & { log: Logger },
  ) {
    // Deno.exit() dispatches "unload"; an uncaught error dispatches "error" first.
    globalThis.addEventListener("unload", this.#onExit);
    globalThis.addEventListener("error", this.#onExit);
  }

  /** The connection for this configuration, started if it is new. Pair with release(). */
  acquire(spec: McpServerSpec): McpConnection {
    const held = this.#byKey.get(spec.key);
    if (held) {
      held.holders++;
      return held.conn;
    }
    const conn = new McpConnection(spec, this.opts);
    this.#byKey.set(spec.key, { conn, holders: 1 });
    return conn;
  }

  release(conn: McpConnection): void {
    const held = this.#byKey.get(conn.spec.key);
    if (!held || held.conn !== conn || --held.holders > 0) return;
    this.#byKey.delete(conn.spec.key);
    this.opts.log.info("Stopping MCP server {server}: no team uses it any more", {
      server: conn.name,
    });
    const closing = conn.close();
    this.#closing.add(closing);
    closing.finally(() => this.#closing.delete(closing));
  }

  /** Every connected or connecting server. */
  states(): McpServerState[] {
    return [...this.#byKey.values()].map((h) => h.conn.status());
  }

  /** Stops every server and waits until their processes are gone. */
  async close(): Promise<void> {
    const all = [...this.#byKey.values()].map((h) => h.conn.close());
    this.#byKey.clear();
    await Promise.all([...all, ...this.#closing]);
    globalThis.removeEventListener("unload", this.#onExit);
    globalThis.removeEventListener("error", this.#onExit);
  }
}
