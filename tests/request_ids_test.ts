/**
 * Request ids and the request log, over real HTTP with a real Postgres and sign-in on: every
 * response carries x-request-id (a valid incoming one is kept, anything else replaced), error
 * bodies carry the same id, and each request is stored in log_records with its method, path,
 * status, duration and who asked — but not quiet hits on assets and /health.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { signedInStack } from "./support/signed_in.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test(
  { name: "request ids: kept, generated, in error bodies and stored", ignore },
  async () => {
    await using s = await signedInStack();
    const { gb, accounts } = s;
    const ada = await accounts.create("ada@example.com");
    const key = await ada.bearer(["read"]);

    const mine = await fetch(`${gb.url}/api/v1/conversations`, {
      headers: { ...key, "x-request-id": "trace-1:abc.DEF_9" },
    });
    assert.equal(mine.status, 200);
    assert.equal(mine.headers.get("x-request-id"), "trace-1:abc.DEF_9", "a valid id is kept");
    await mine.body?.cancel();

    for (const bad of ["x".repeat(129), "has space", "<script>", "a\u00e9"]) {
      const res = await fetch(`${gb.url}/health`, {
        headers: { "x-request-id": encodeURI(bad) },
      });
      await res.body?.cancel();
      assert.match(res.headers.get("x-request-id") ?? "", UUID, `replaced: ${bad}`);
    }

    const missing = await fetch(`${gb.url}/api/v1/runs/${crypto.randomUUID()}`, { headers: key });
    assert.equal(missing.status, 404);
    const id = missing.headers.get("x-request-id")!;
    assert.match(id, UUID);
    const body = await missing.json();
    assert.equal(body.error.code, "not_found");
    assert.equal(body.error.request_id, id, "the error body names the request");

    const anon = await fetch(`${gb.url}/api/v1/conversations`);
    assert.equal(anon.status, 401);
    assert.equal((await anon.json()).error.request_id, anon.headers.get("x-request-id"));

    const page = await fetch(`${gb.url}/sign-in`);
    assert.match(page.headers.get("x-request-id") ?? "", UUID, "pages too");
    await page.body?.cancel();

    const { sql } = gb.glassbox.deps.db;
    const stored = await waitFor(async () => {
      const rows = await sql`
        SELECT request_id, user_id, level, kind, message, properties FROM log_records
        WHERE kind = 'http' ORDER BY id`;
      return rows.length >= 4 && rows;
    }, "the request records");
    const byId = new Map(stored.map((r) => [r.request_id, r]));
    const kept = byId.get("trace-1:abc.DEF_9")!;
    assert.equal(kept.user_id, ada.id, "who asked");
    assert.equal(kept.level, "info");
    assert.equal(kept.properties.method, "GET");
    assert.equal(kept.properties.path, "/api/v1/conversations");
    assert.equal(kept.properties.status, 200);
    assert.equal(typeof kept.properties.duration_ms, "number");
    assert.match(kept.message, /^GET \/api\/v1\/conversations 200 \d+ ms$/);
    assert.equal(byId.get(id)!.level, "warning", "a 4xx is a warning");
    assert.equal(byId.get(anon.headers.get("x-request-id"))!.user_id, null, "nobody signed in");
    assert.ok(
      stored.every((r) => r.properties.path !== "/health"),
      "a fine /health hit is not stored",
    );
  },
);
