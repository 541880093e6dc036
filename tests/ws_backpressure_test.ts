/**
 * A WebSocket follower that never reads is bounded like an SSE client (defect 6 of issue 7): the
 * socket route used to drain its hub stream at once into ws.send, so the hub's per-subscriber cap
 * never applied and the send buffer grew without bound. A raw TCP client here speaks just enough
 * WebSocket to follow the log tail and then stops reading.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { withDemoGlassbox } from "./support/server.ts";
import { waitFor } from "./support/wait.ts";
import { CUSTOM, custom, type RunEvent } from "../agents/spine/events.ts";
import { LOGS_TOPIC } from "../agents/spine/journal.ts";

const ignore = await skipWithoutPostgres();
const te = new TextEncoder();

/** A masked client text frame (RFC 6455 §5.2), short payloads only. */
function textFrame(text: string): Uint8Array {
  const payload = te.encode(text);
  assert.ok(payload.length < 126);
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const out = new Uint8Array(6 + payload.length);
  out.set([0x81, 0x80 | payload.length, ...mask]);
  payload.forEach((b, i) => out[6 + i] = b ^ mask[i % 4]);
  return out;
}

/** Server frames' text payloads (unmasked; no fragmentation from this server). */
function* textFrames(buf: Uint8Array): Generator<string> {
  let at = 0;
  while (at + 2 <= buf.length) {
    let len = buf[at + 1] & 0x7f;
    let head = 2;
    if (len === 126) [len, head] = [(buf[at + 2] << 8) | buf[at + 3], 4];
    else if (len === 127) {
      len = Number(new DataView(buf.buffer, buf.byteOffset + at + 2, 8).getBigUint64(0));
      head = 10;
    }
    if (at + head + len > buf.length) return;
    if ((buf[at] & 0x0f) === 1) {
      yield new TextDecoder().decode(buf.subarray(at + head, at + head + len));
    }
    at += head + len;
  }
}

Deno.test(
  { name: "websocket: a follower that never reads is cut off at the cap", ignore },
  async () => {
    await withDemoGlassbox(async (gb) => {
      const { hub } = gb.glassbox.deps;
      const conn = await Deno.connect({
        hostname: "127.0.0.1",
        port: Number(new URL(gb.url).port),
      });
      try {
        const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
        await conn.write(te.encode(
          `GET /api/v1/ws HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\n` +
            `connection: Upgrade\r\nsec-websocket-key: ${key}\r\nsec-websocket-version: 13\r\n\r\n`,
        ));
        const head = new Uint8Array(1024);
        const n = (await conn.read(head)) ?? 0;
        assert.match(new TextDecoder().decode(head.subarray(0, n)), /^HTTP\/1.1 101/);
        const before = hub.stats().subscribers;
        await conn.write(textFrame(JSON.stringify({ type: "logs" })));
        await waitFor(() => hub.stats().subscribers > before, "the log tail to be followed");

        // 256 KiB log records until the hub cuts the follower off; 50 MiB is far past any bound.
        const pad = "x".repeat(256 * 1024);
        const cutOff = hub.stats().cutOff;
        let sent = 0;
        for (; sent < 200 && hub.stats().cutOff === cutOff; sent++) {
          const id = 1e12 + sent;
          const ev: RunEvent = {
            id,
            runId: crypto.randomUUID(),
            seq: 1,
            createdAt: Date.now(),
            event: custom(CUSTOM.log, { level: "info", message: pad }),
          };
          hub.publish(LOGS_TOPIC, ev);
          await new Promise((r) => setTimeout(r, 5)); // let the socket route do its work
        }
        assert.equal(
          hub.stats().cutOff,
          cutOff + 1,
          `not cut off after ${sent} records of 256 KiB`,
        );
        assert.ok(sent < 40, `cut off only after ${sent} records of 256 KiB`);

        // Reading again, the client gets what was queued and then hears it was cut off.
        const chunks: Uint8Array[] = [];
        let total = 0;
        const buf = new Uint8Array(1 << 16);
        const end = await waitFor(
          async () => {
            const got = await conn.read(buf);
            if (got === null) throw new Error("socket closed before the end message");
            chunks.push(buf.slice(0, got));
            total += got;
            const all = new Uint8Array(total);
            chunks.reduce((o, c) => (all.set(c, o), o + c.length), 0);
            for (const text of textFrames(all)) if (text.startsWith('{"type":"end"')) return text;
            return null;
          },
          "the end message",
          30_000,
        );
        assert.deepEqual(JSON.parse(end), { type: "end", logs: true, complete: false });
      } finally {
        conn.close();
      }
    });
  },
);
