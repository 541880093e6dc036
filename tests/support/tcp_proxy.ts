/**
 * A TCP proxy in front of the test Postgres, to take the database away from one Glassbox without
 * touching the shared server: `cut()` closes every open connection and refuses new ones (as a
 * restarting Postgres does), `restore()` lets them through again.
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
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
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
    if (cut) return closeQuietly(client);
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
  const accepting = (async () => {
    try {
      for await (const conn of listener) void serve(conn);
    } catch { /* closed */ }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.href;
    },
    cut() {
      cut = true;
      for (const c of [...open]) closeQuietly(c);
    },
    restore() {
      cut = false;
    },
    async close() {
      this.cut();
      listener.close();
      await accepting;
    },
  };
}
