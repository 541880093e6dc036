/** A test client of /api/v1/ws: a queue of received messages and a way to wait for one. */

export type Msg = Record<string, unknown> & { type: string };

export interface TestSocket {
  send(m: unknown): void;
  raw(text: string): void;
  /** Resolves with the first message (removed from the inbox) that `pred` accepts. */
  next(pred?: (m: Msg) => boolean, timeoutMs?: number): Promise<Msg>;
  inbox: Msg[];
  close(): Promise<void>;
}

/**
 * Opens the socket of the Glassbox at `url`; `headers` (Origin, Cookie, Authorization) go with
 * the handshake (Deno's WebSocket takes them as a non-standard second argument).
 */
export async function connectWs(
  url: string,
  headers: Record<string, string> = {},
): Promise<TestSocket> {
  const ws = new WebSocket(
    url.replace("http", "ws") + "/api/v1/ws",
    { headers } as unknown as string[],
  );
  const inbox: Msg[] = [];
  let wake: (() => void) | null = null;
  ws.onmessage = (e) => {
    inbox.push(JSON.parse(e.data));
    wake?.();
  };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return {
    send: (m) => ws.send(JSON.stringify(m)),
    raw: (text) => ws.send(text),
    async next(pred = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const i = inbox.findIndex(pred);
        if (i >= 0) return inbox.splice(i, 1)[0];
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      throw new Error(`no matching message; inbox: ${JSON.stringify(inbox).slice(0, 500)}`);
    },
    inbox,
    close: async () => {
      const closed = new Promise((r) => ws.onclose = r);
      ws.close();
      await closed;
    },
  };
}
