/**
 * The edges of input, over real HTTP with a real Postgres (defects 7, 16 and 18 of issue 7):
 * text Postgres cannot store (NUL, lone surrogates) is a 400 with a clear message on every way in,
 * and on the chat page an error fragment that puts the typed text back; HTML routes fail with an
 * HTML page and the log has the stack; unknown fields and wrong types are 400s; one limit
 * everywhere (32,000 characters a message, 200 an id) including AG-UI; Last-Event-ID is decimal
 * digits only; /demo/v1 exists only while the demo model is in use; /health details are for
 * admins.
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { postJson, startGlassbox, startStack, withDemoGlassbox } from "./support/server.ts";
import { parseSse } from "./support/sse_client.ts";
import { connectWs } from "./support/ws_client.ts";
import { Browser } from "./support/users.ts";

const ignore = await skipWithoutPostgres();

/** A JSON body as raw text, so escapes such as \u0000 and \ud800 reach the server as written. */
const postRaw = (url: string, body: string) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = await res.json();
  return { status: res.status, code: body.error?.code, message: body.error?.message };
}

const agui = (over: Record<string, unknown> = {}, text = "What is 2 + 2?") => ({
  threadId: "t-1",
  runId: crypto.randomUUID(),
  state: {},
  messages: [{ id: "m1", role: "user", content: text }],
  tools: [],
  context: [],
  forwardedProps: {},
  ...over,
});

Deno.test(
  { name: "input: text that cannot be stored is a 400 on every way in", ignore },
  async () => {
    await withDemoGlassbox(async (gb) => {
      for (const path of ["/api/v1/chat", "/api/v1/chat/stream"]) {
        for (const [bad, says] of [["a\\u0000b", /NUL/], ["a\\ud800b", /surrogate/]] as const) {
          const e = await errorOf(await postRaw(`${gb.url}${path}`, `{"message":"${bad}"}`));
          assert.equal(e.status, 400, `${path} ${bad}`);
          assert.equal(e.code, "invalid_body");
          assert.match(e.message, says);
        }
      }
      const body = JSON.stringify(agui()).replace("What is 2 + 2?", "What\\u0000");
      const e = await errorOf(await postRaw(`${gb.url}/api/v1/agui`, body));
      assert.deepEqual([e.status, e.code], [400, "invalid_body"]);
      assert.match(e.message, /messages\.0\.content: must not contain a NUL/);

      const ws = await connectWs(gb.url);
      try {
        ws.raw('{"type":"chat","message":"x\\u0000y"}');
        const err = await ws.next((m) => m.type === "error");
        assert.equal(err.code, "invalid_message");
        assert.match(String(err.message), /NUL/);
      } finally {
        await ws.close();
      }

      // The chat page: an error fragment, and the typed text back in the box.
      const res = await fetch(`${gb.url}/chat`, {
        method: "POST",
        headers: { origin: gb.url },
        body: new URLSearchParams({ message: "keep <this>\0 text" }),
      });
      assert.equal(res.status, 200);
      const html = parseSse(await res.text()).map((m) => m.data).join("\n");
      assert.match(html, /Could not send/);
      assert.match(html, /NUL character/);
      assert.match(
        html,
        /<textarea hx-swap-oob="true" id="message"[^>]*>keep &lt;this&gt;\uFFFD text/,
      );
      const runs = await gb.glassbox.deps.db.sql`SELECT count(*)::int AS n FROM runs`;
      assert.equal(runs[0].n, 0, "no run was started");
    });
  },
);

Deno.test(
  { name: "input: a failing HTML route answers a page; the log has the stack", ignore },
  async () => {
    const db = await freshPostgres();
    const logs: string[] = [];
    const gb = await startGlassbox({ DATABASE_URL: db.url }, { logs });
    try {
      // A route that fails, added before the first request reaches the app.
      const fail = () => {
        throw new Error("deliberate failure in a test route");
      };
      gb.glassbox.app.get("/test-failure", fail);
      gb.glassbox.app.get("/api/v1/test-failure", fail);
      const page = await fetch(`${gb.url}/test-failure`);
      assert.equal(page.status, 500);
      assert.match(page.headers.get("content-type")!, /text\/html/);
      const html = await page.text();
      assert.match(html, /^<!DOCTYPE html>/);
      assert.match(html, /Something went wrong/);
      assert.ok(html.includes(page.headers.get("x-request-id")!), "the page names the request id");
      const api = await errorOf(await fetch(`${gb.url}/api/v1/test-failure`));
      assert.deepEqual([api.status, api.code], [500, "internal"]);
      const line = logs.find((l) => l.includes("deliberate failure in a test route"));
      assert.ok(line, "the failure is logged");
      assert.match(line, /"stack":"Error: deliberate failure in a test route\\n +at /);
    } finally {
      await gb.close();
      await db.close();
    }
  },
);

Deno.test({ name: "input: unknown fields and wrong types are 400s", ignore }, async () => {
  await withDemoGlassbox(async (gb) => {
    const bad: [string, unknown][] = [
      ["/api/v1/chat", { message: "hi", extra: 1 }],
      ["/api/v1/chat", { message: 42 }],
      ["/api/v1/chat", { message: "hi", conversation_id: 7 }],
      ["/api/v1/chat", { message: "hi", agent: ["glassbox"] }],
      ["/api/v1/chat/stream", { message: "hi", user_id: "someone" }],
      ["/api/v1/agui", agui({ extra: true })],
      ["/api/v1/agui", agui({ threadId: 5 })],
      ["/api/v1/agui", agui({ messages: "hello" })],
    ];
    for (const [path, body] of bad) {
      const e = await errorOf(await postJson(`${gb.url}${path}`, body));
      assert.deepEqual(
        [e.status, e.code],
        [400, "invalid_body"],
        `${path} ${JSON.stringify(body)}`,
      );
    }
    for (const q of ["bogus=1", "limit=abc", "limit=1.5"]) {
      const e = await errorOf(await fetch(`${gb.url}/api/v1/conversations?${q}`));
      assert.deepEqual([e.status, e.code], [400, "invalid_query"], q);
    }
    const ws = await connectWs(gb.url);
    try {
      for (
        const m of [
          { type: "ping", extra: 1 },
          { type: "logs", after: "5" },
          { type: "subscribe", run_id: crypto.randomUUID(), after: -1 },
          { type: "cancel", run_id: crypto.randomUUID(), why: "x" },
        ]
      ) {
        ws.send(m);
        assert.equal((await ws.next((x) => x.type === "error")).code, "invalid_message");
      }
    } finally {
      await ws.close();
    }
  });
});

Deno.test(
  { name: "input: one limit everywhere; Last-Event-ID is decimal digits", ignore },
  async () => {
    await withDemoGlassbox(async (gb) => {
      const long = "x".repeat(32_001);
      for (
        const [path, body, says] of [
          ["/api/v1/chat", { message: long }, /message: must be at most 32000/],
          ["/api/v1/agui", agui({}, "y".repeat(900_000)), /content: must be at most 32000/],
          [
            "/api/v1/agui",
            agui({ threadId: "t".repeat(100_000) }),
            /threadId: must be at most 200/,
          ],
          ["/api/v1/agui", agui({ runId: "r".repeat(201) }), /runId: must be at most 200/],
          [
            "/api/v1/agui",
            agui({ forwardedProps: { agent: "a".repeat(101) } }),
            /agent: must be at most 100/,
          ],
        ] as const
      ) {
        const e = await errorOf(await postJson(`${gb.url}${path}`, body));
        assert.equal(e.status, 400, path);
        assert.match(e.message, says);
      }
      const run = crypto.randomUUID();
      // (A header's surrounding spaces are not part of its value; in ?after= they are.)
      for (const id of ["0x10", "1e3", "-1", "+5", "0b1", "1.0", "99999999999999999", "7 x"]) {
        const res = await fetch(`${gb.url}/api/v1/runs/${run}/events`, {
          headers: { "last-event-id": id },
        });
        const e = await errorOf(res);
        assert.deepEqual([e.status, e.code], [400, "invalid_last_event_id"], id);
        const page = await fetch(`${gb.url}/runs/${run}/events?after=${encodeURIComponent(id)}`);
        assert.equal(page.status, 400, `page stream after=${id}`);
        await page.body?.cancel();
      }
    });
  },
);

Deno.test(
  { name: "input: /demo/v1 exists only while the demo model is in use", ignore },
  async () => {
    await withDemoGlassbox(async (gb) => {
      const res = await fetch(`${gb.url}/demo/v1/models`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    });
    const t = await startStack({ GLASSBOX_MODEL: "real-model" });
    try {
      const e = await errorOf(await fetch(`${t.gb.url}/demo/v1/models`));
      assert.deepEqual([e.status, e.code], [404, "not_found"]);
    } finally {
      await t.close();
    }
  },
);

Deno.test({ name: "input: /health has details for admins only", ignore }, async () => {
  const db = await freshPostgres();
  const admin = { email: "root@example.com", password: "correct horse battery staple" };
  const gb = await startGlassbox({
    DATABASE_URL: db.url,
    GLASSBOX_ADMIN_EMAIL: admin.email,
    GLASSBOX_ADMIN_PASSWORD: admin.password,
  });
  try {
    const anon = await fetch(`${gb.url}/health`);
    assert.equal(anon.status, 200);
    assert.deepEqual(await anon.json(), { status: "ok" });
    const browser = new Browser(gb.url);
    assert.equal((await browser.signIn(admin.email, admin.password)).status, 303);
    const details = await (await browser.fetch("/health")).json();
    assert.equal(details.status, "ok");
    assert.equal(details.database.kind, "postgres");
    assert.equal(typeof details.database.location, "string");
    assert.equal(typeof details.model.name, "string");
  } finally {
    await gb.close();
    await db.close();
  }
});
