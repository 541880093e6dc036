/**
 * Hostile and malformed input at scale, over every route of the app (Hono's own route list, as in
 * tests/isolation_test.ts): bad JSON, wrong types, huge and deeply nested bodies, invalid UTF-16,
 * NUL, bad ids and cursors, bad Last-Event-ID — zero 5xx, zero hangs (headers within 10 s), the
 * server healthy afterwards. Prints the figures.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { withDemoGlassbox } from "./support/server.ts";

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
