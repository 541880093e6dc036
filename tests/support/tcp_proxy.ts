/**
 * A TCP proxy in front of the test Postgres, to take the database away from one Glassbox without
 * touching the shared server: `cut()` closes every open connection and stops listening, so new
 * ones are refused (as a stopped Postgres does), `restore()` listens on the same port again.
 * Two nastier faults, both ended by `restore()`:
 * - `stall()`: nothing is forwarded either way (a network partition, a frozen server): bytes
 *   already sent wait in the proxy, new connections are accepted and never answered. On restore
 *   the held bytes go on, as TCP would deliver them once the path heals.
 * - `acceptThenClose()`: every new connection is accepted and closed at once (a server at its
 *   connection limit behind a load balancer); open connections are closed.
 * - `blackhole()`: the database's host vanished: every open connection goes silent for good
 *   (nothing forwarded, nothing closed, even after `restore()`), new ones are accepted and never
 *   answered until `restore()`.
 */
export interface TcpProxy {
  port: number;
  /** A postgres:// URL of `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  cut(): void;
  stall(): void;
  acceptThenClose(): void;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

type Mode = "open" | "cut" | "stall" | "close" | "blackhole";

export function startTcpProxy(target = { hostname: "127.0.0.1", port: 5432 }): TcpProxy {
  let listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const open = new Set<Deno.Conn>();
  /** Connections silenced by blackhole(): what they send is dropped, for good. */
  const dead = new Set<Deno.Conn>();
  let mode: Mode = "open";
  /** Resolves when forwarding may go on (not stalled). */
  let flowing: Promise<void> = Promise.resolve();
  let resume = () => {};
  const closeQuietly = (c: Deno.Conn) => {
    open.delete(c);
    try {
      c.close();
    } catch { /* already closed */ }
  };
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    const reader = from.readable.getReader();
    const writer = to.writable.getWriter();
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        await flowing;
        if (dead.has(from) || dead.has(to)) continue;
        await writer.write(r.value);
      }
    } catch { /* cut, or the other side went away */ }
    closeQuietly(from);
    closeQuietly(to);
  };
  const serve = async (client: Deno.Conn) => {
    open.add(client);
    if (mode === "close") return closeQuietly(client);
    if (mode === "blackhole") return void dead.add(client);
    await flowing;
    let server: Deno.Conn;
    try {
      server = await Deno.connect(target);
    } catch {
      return closeQuietly(client);
    }
    open.add(server);
    if ((mode as Mode) === "cut" || (mode as Mode) === "close") {
      return [client, server].forEach(closeQuietly);
    }
    void pipe(client, server);
    void pipe(server, client);
  };
  const accept = async (l: Deno.Listener) => {
    try {
      for await (const conn of l) void serve(conn);
    } catch { /* closed */ }
  };
  let accepting = accept(listener);
  const closeAll = () => {
    for (const c of [...open]) closeQuietly(c);
  };
  return {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.href;
    },
    cut() {
      if (mode === "cut") return;
      if (mode === "stall") resume();
      mode = "cut";
      // Closed, like a stopped server: new connections are refused at once.
      listener.close();
      closeAll();
    },
    stall() {
      if (mode !== "open") this.restore();
      mode = "stall";
      flowing = new Promise((r) => resume = r);
    },
    acceptThenClose() {
      if (mode !== "open") this.restore();
      mode = "close";
      closeAll();
    },
    blackhole() {
      if (mode !== "open") this.restore();
      mode = "blackhole";
      for (const c of open) dead.add(c);
    },
    restore() {
      if (mode === "cut") {
        listener = Deno.listen({ hostname: "127.0.0.1", port });
        accepting = accept(listener);
      }
      if (mode === "stall") resume();
      mode = "open";
    },
    async close() {
      this.cut();
      await accepting;
    },
  };
}
