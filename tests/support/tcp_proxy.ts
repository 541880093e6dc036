/**
 * A TCP proxy in front of the test Postgres, to take the database away from one Glassbox without
 * touching the shared server: `cut()` closes every open connection and stops listening, so new
 * ones are refused (as a stopped Postgres does), `restore()` listens on the same port again.
 */
export interface TcpProxy {
  port: number;
  /** A postgres:// URL of `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export function startTcpProxy(target = { hostname: "127.0.0.1", port: 5432 }): TcpProxy {
  let listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const open = new Set<Deno.Conn>();
  let cut = false;
  const closeQuietly = (c: Deno.Conn) => {
    open.delete(c);
    try {
      c.close();
    } catch { /* already closed */ }
  };
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    try {
      await from.readable.pipeTo(to.writable, { preventClose: true });
    } catch { /* cut, or the other side went away */ }
    closeQuietly(from);
    closeQuietly(to);
  };
  const serve = async (client: Deno.Conn) => {
    open.add(client);
    let server: Deno.Conn;
    try {
      server = await Deno.connect(target);
    } catch {
      return closeQuietly(client);
    }
    open.add(server);
    if (cut) return [client, server].forEach(closeQuietly);
    void pipe(client, server);
    void pipe(server, client);
  };
  const accept = async (l: Deno.Listener) => {
    try {
      for await (const conn of l) void serve(conn);
    } catch { /* closed */ }
  };
  let accepting = accept(listener);
  return {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.href;
    },
    cut() {
      if (cut) return;
      cut = true;
      // Closed, like a stopped server: new connections are refused at once.
      listener.close();
      for (const c of [...open]) closeQuietly(c);
    },
    restore() {
      if (!cut) return;
      cut = false;
      listener = Deno.listen({ hostname: "127.0.0.1", port });
      accepting = accept(listener);
    },
    async close() {
      this.cut();
      await accepting;
    },
  };
}
