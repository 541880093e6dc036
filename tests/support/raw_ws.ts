/**
 * A WebSocket client at the frame level, for frames a well-behaved client cannot send: binary,
 * text frames with invalid UTF-8, frames after a close, fragments. Speaks RFC 6455 over a plain
 * TCP connection (the client masks, as it must).
 */

export interface Frame {
  opcode: number;
  payload: Uint8Array;
}

export const OP = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface RawWs {
  /** Sends one frame (fin set unless `fin: false`). Resolves false if the connection is gone. */
  send(opcode: number, payload: Uint8Array | string, fin?: boolean): Promise<boolean>;
  /** The next frame from the server, or null once the connection is closed. */
  next(timeoutMs?: number): Promise<Frame | null>;
  /** Frames until the server's close frame (or the end); returns them all. */
  untilClose(timeoutMs?: number): Promise<Frame[]>;
  close(): void;
}

const utf8 = new TextEncoder();

export async function connectRawWs(url: string, path = "/api/v1/ws"): Promise<RawWs> {
  const u = new URL(url);
  const conn = await Deno.connect({ hostname: u.hostname, port: Number(u.port) });
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const writer = conn.writable.getWriter();
  await writer.write(utf8.encode(
    `GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  ));
  const reader = conn.readable.getReader();
  let buf = new Uint8Array(0);
  const more = async (): Promise<boolean> => {
    const r = await reader.read();
    if (r.done) return false;
    const next = new Uint8Array(buf.length + r.value.length);
    next.set(buf);
    next.set(r.value, buf.length);
    buf = next;
    return true;
  };
  // The handshake's answer.
  for (;;) {
    const text = new TextDecoder().decode(buf);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      if (!text.startsWith("HTTP/1.1 101")) throw new Error(`no upgrade: ${text.slice(0, 200)}`);
      buf = buf.slice(end + 4);
      break;
    }
    if (!(await more())) throw new Error("closed during the handshake");
  }
  let closed = false;
  const readFrame = async (): Promise<Frame | null> => {
    const need = async (n: number) => {
      while (buf.length < n) if (!(await more())) return false;
      return true;
    };
    if (!(await need(2))) return null;
    const opcode = buf[0] & 0x0f;
    let len = buf[1] & 0x7f;
    let at = 2;
    if (len === 126) {
      if (!(await need(4))) return null;
      len = (buf[2] << 8) | buf[3];
      at = 4;
    } else if (len === 127) {
      if (!(await need(10))) return null;
      len = Number(new DataView(buf.buffer, buf.byteOffset + 2, 8).getBigUint64(0));
      at = 10;
    }
    if (!(await need(at + len))) return null;
    const payload = buf.slice(at, at + len);
    buf = buf.slice(at + len);
    return { opcode, payload };
  };
  let reading: Promise<Frame | null> | null = null;
  const next = async (timeoutMs = 10_000): Promise<Frame | null> => {
    reading ??= readFrame().catch(() => null);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) =>
      timer = setTimeout(() => r("timeout"), timeoutMs)
    );
    const got = await Promise.race([reading, timeout]);
    clearTimeout(timer);
    if (got === "timeout") throw new Error(`no frame within ${timeoutMs} ms`);
    reading = null;
    return got;
  };
  return {
    async send(opcode, payload, fin = true) {
      if (closed) return false;
      const data = typeof payload === "string" ? utf8.encode(payload) : payload;
      const len = data.length;
      const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
      const frame = new Uint8Array(head + 4 + len);
      frame[0] = (fin ? 0x80 : 0) | opcode;
      if (len < 126) frame[1] = 0x80 | len;
      else if (len < 65536) {
        frame[1] = 0x80 | 126;
        frame[2] = len >> 8;
        frame[3] = len & 0xff;
      } else {
        frame[1] = 0x80 | 127;
        new DataView(frame.buffer).setBigUint64(2, BigInt(len));
      }
      const mask = crypto.getRandomValues(new Uint8Array(4));
      frame.set(mask, head);
      for (let i = 0; i < len; i++) frame[head + 4 + i] = data[i] ^ mask[i & 3];
      try {
        await writer.write(frame);
        return true;
      } catch {
        return false;
      }
    },
    next,
    async untilClose(timeoutMs = 10_000) {
      const frames: Frame[] = [];
      for (;;) {
        const f = await next(timeoutMs);
        if (!f) return frames;
        frames.push(f);
        if (f.opcode === OP.close) return frames;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch { /* already closed */ }
    },
  };
}

/** The close code of a close frame (1005 when it has none). */
export const closeCode = (f: Frame) =>
  f.payload.length >= 2 ? (f.payload[0] << 8) | f.payload[1] : 1005;

export const frameText = (f: Frame) => new TextDecoder().decode(f.payload);
