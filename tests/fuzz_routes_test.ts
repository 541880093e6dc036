/**
 * Hostile and malformed input at scale, over every route of the app (Hono's own route list, as in
 * tests/isolation_test.ts): bad JSON, wrong types, huge and deeply nested bodies, invalid UTF-16,
 * NUL, bad ids and cursors, bad Last-Event-ID, bad WebSocket frames — zero 5xx, zero hangs (headers within 10 s), the
 * server healthy afterwards. Prints the figures.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { startStack, withDemoGlassbox } from "./support/server.ts";
import { closeCode, connectRawWs, frameText, OP } from "./support/raw_ws.ts";
import { connectWs } from "./support/ws_client.ts";
import { listEvents } from "../db/events.ts";

const ignore = await skipWithoutPostgres();

const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
const BODIES = [
  "{not json",
  "",
  "null",
  "[]",
  '"a string"',
  '{"message":42}',
  '{"message":"a\\u0000b"}',
  '{"message":"\\ud800"}',
  '{"message":"hi","extra":{"__proto__":{"x":1}}}',
  `{"message":${deep(5000)}}`,
  `{"message":"${"x".repeat(900_000)}"}`,
  '{"threadId":5,"runId":[],"messages":"x"}',
];
const IDS = ["nope", "00000000-0000-0000-0000-000000000000", "%00", "..%2f..%2fetc", "\u{1F600}"];
const CURSORS = ["0x10", "-1", "1e3", "99999999999999999999", "%00", "abc"];

Deno.test({ name: "fuzz: malformed input on every route, no 5xx, no hang", ignore }, async () => {
  await withDemoGlassbox(async (gb) => {
    const routes = [
      ...new Set(
        gb.glassbox.app.routes
          .filter((r) => r.method !== "ALL" || r.handler.length < 2)
          .map((r) => `${r.method === "ALL" ? "POST" : r.method} ${r.path.replace("/*", "/x")}`),
      ),
    ];
    const fails: string[] = [];
    let requests = 0;
    const send = async (method: string, path: string, init: RequestInit = {}) => {
      requests++;
      const signal = AbortSignal.timeout(10_000);
      try {
        const res = await fetch(`${gb.url}${path}`, {
          method,
          ...init,
          headers: { origin: gb.url, ...init.headers },
          signal,
        });
        await res.body?.cancel();
        if (res.status >= 500) fails.push(`${res.status} ${method} ${path}`);
      } catch (err) {
        fails.push(`${String(err).slice(0, 80)} ${method} ${path}`);
      }
    };
    for (const route of routes) {
      const [method, pattern] = route.split(" ");
      for (const id of IDS) {
        const path = pattern.replace(/:[a-z]+/g, encodeURIComponent(id));
        if (method === "GET") {
          await send("GET", path);
          for (const c of CURSORS) {
            await send("GET", `${path}?after=${encodeURIComponent(c)}&limit=${c}&cursor=${c}`);
            await send("GET", path, { headers: { "last-event-id": c } });
          }
        } else {
          for (const body of BODIES) {
            await send(method, path, { headers: { "content-type": "application/json" }, body });
          }
          await send(method, path, {
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: "message=a%00b&conversation_id=%ff&agent=" + "y".repeat(5000),
          });
        }
      }
    }
    console.log(
      `fuzz: ${requests} requests over ${routes.length} routes, ${fails.length} failures`,
    );
    assert.deepEqual(fails, []);
    const health = await fetch(`${gb.url}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  });
});

/**
 * Bad frames on /api/v1/ws (routes/api/ws.ts) while two clients follow one run: each bad frame
 * gets a clear error message or close code, never a crash, and the two followers still receive
 * every event of the run, in order, through to its end.
 */
Deno.test({ name: "fuzz: bad WebSocket frames, followers unaffected", ignore }, async () => {
  const s = await startStack({ GLASSBOX_MODEL: "gpt-4o-mini" });
  let answer!: () => void;
  s.llm.push({
    kind: "text",
    chunks: ["Still ", "here."],
    hold: new Promise<void>((r) => answer = r),
  });
  const a = await connectWs(s.gb.url);
  const b = await connectWs(s.gb.url);
  try {
    a.send({ type: "chat", message: "Hold on" });
    const runId = (await a.next((m) => m.type === "run_started")).run_id as string;
    b.send({ type: "subscribe", run_id: runId });
    await b.next((m) => m.type === "event");

    const fails: string[] = [];
    /** Sends the frames on a fresh raw socket; returns the error codes and the close code. */
    const probe = async (frames: [number, Uint8Array | string, boolean?][], closes = false) => {
      const ws = await connectRawWs(s.gb.url);
      try {
        for (const [op, payload, fin] of frames) await ws.send(op, payload, fin);
        if (!closes) await ws.send(OP.text, '{"type":"ping"}');
        const errors: string[] = [];
        let close: number | string | null = null;
        for (;;) {
          const f = await ws.next(10_000).catch(() => "hang" as const);
          if (f === "hang") {
            close = "no answer within 10 s";
            break;
          }
          if (!f) {
            close = "dropped";
            break;
          }
          if (f.opcode === OP.close) {
            close = closeCode(f);
            break;
          }
          if (f.opcode !== OP.text) continue;
          const m = JSON.parse(frameText(f));
          if (m.type === "error") {
            if (!(typeof m.code === "string" && typeof m.message === "string" && m.message)) {
              fails.push(`unclear error ${frameText(f)}`);
            }
            errors.push(m.code);
          }
          if (m.type === "pong") break;
        }
        return { errors, close };
      } finally {
        ws.close();
      }
    };
    const expect = async (
      what: string,
      frames: [number, Uint8Array | string, boolean?][],
      want: { errors?: string[]; close?: number | "dropped" },
    ) => {
      const got = await probe(frames, want.close !== undefined);
      const wanted = { errors: want.errors ?? [], close: want.close ?? null };
      if (JSON.stringify(got) !== JSON.stringify(wanted)) {
        fails.push(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(wanted)}`);
      }
    };
    const text = (t: string): [number, string] => [OP.text, t];
    await expect("invalid JSON", [text("{not json")], { errors: ["invalid_json"] });
    await expect("empty frame", [text("")], { errors: ["invalid_json"] });
    for (const t of ["null", "[]", "42", '"ping"', deep(5000), '{"type":"dance"}', '{"type":7}']) {
      await expect(`not a message: ${t.slice(0, 20)}`, [text(t)], { errors: ["invalid_message"] });
    }
    await expect("binary frame", [[OP.binary, new Uint8Array([0, 1, 2, 255])]], {
      errors: ["binary_not_supported"],
    });
    await expect("NUL in a chat", [text('{"type":"chat","message":"a\\u0000b"}')], {
      errors: ["invalid_message"],
    });
    await expect("lone surrogate", [text('{"type":"chat","message":"\\ud800"}')], {
      errors: ["invalid_message"],
    });
    await expect("NUL in the type", [text('{"type":"ping\\u0000"}')], {
      errors: ["invalid_message"],
    });
    await expect("bad cursor", [text(`{"type":"subscribe","run_id":"${runId}","after":1e400}`)], {
      errors: ["invalid_message"],
    });
    await expect("bad run id", [text('{"type":"subscribe","run_id":"../../etc"}')], {
      errors: ["invalid_message"],
    });
    await expect("proto pollution", [text('{"type":"ping","__proto__":{"x":1}}')], {
      errors: ["invalid_message"],
    });
    await expect("huge frame", [text(`{"type":"chat","message":"${"x".repeat(2_000_000)}"}`)], {
      errors: ["message_too_large"],
      close: 1009,
    });
    // Protocol errors end the connection in Deno's WebSocket layer, without a close frame.
    await expect("invalid UTF-8", [[OP.text, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])]], {
      close: "dropped",
    });
    await expect("continuation without a start", [[0, "x"]], { close: "dropped" });
    await expect("fragmented text", [[OP.text, '{"type":', false], [0, '"ping"}']], {});
    // After a close frame nothing more is read: the server answers the close, not the ping.
    await expect("frames after close", [
      [OP.close, new Uint8Array([3, 232])],
      text('{"type":"ping"}'),
    ], {
      close: 1000,
    });
    assert.deepEqual(fails, []);

    // The two followers saw none of it: every event, through to the end.
    answer();
    for (const ws of [a, b]) {
      assert.deepEqual(await ws.next((m) => m.type === "end"), {
        type: "end",
        run_id: runId,
        complete: true,
      });
    }
    await s.gb.glassbox.deps.runs.whenDone(runId);
    const stored = (await listEvents(s.db.sql, runId)).map((e) => e.id);
    const seenA = a.inbox.filter((m) => m.type === "event").map((m) => m.id);
    const seenB = b.inbox.filter((m) => m.type === "event").map((m) => m.id);
    assert.deepEqual(seenA, stored);
    assert.deepEqual(seenB, stored.slice(stored.length - seenB.length));
    const health = await fetch(`${s.gb.url}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  } finally {
    await a.close().catch(() => {});
    await b.close().catch(() => {});
    await s.close();
  }
});
