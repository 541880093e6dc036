/**
 * The logs API over real HTTP with a real Postgres and sign-in on: a real run's records land in
 * log_records with their owner and conversation; GET /api/v1/logs filters by level, kind, agent,
 * run, conversation, request id, time and full text (message and properties), pages with a
 * cursor without repeats or gaps, and shows a member only their own records; GET
 * /api/v1/runs/:id/logs; bad queries are 400s. The same queries on embedded PGlite (its
 * full-text search and GIN index included).
 */
import assert from "node:assert/strict";
import { freshPglite, freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { postJson, startGlassbox, withDemoGlassbox } from "./support/server.ts";
import { accountsOf } from "./support/users.ts";
import { waitFor } from "./support/wait.ts";
import type { Sql } from "../db/client.ts";
import { listLogRecords } from "../db/log_records.ts";
import { ALL } from "../db/owner.ts";

const ignore = await skipWithoutPostgres();

const ADMIN = { email: "root@example.com", password: "correct horse battery" };

/** Records of a made-up run of `user`: one per level, with searchable properties. */
async function seedRun(sql: Sql, user: string, agent: string, t0: number) {
  const conversation = crypto.randomUUID();
  const run = crypto.randomUUID();
  await sql`INSERT INTO conversations (id, user_id) VALUES (${conversation}, ${user})`;
  await sql`INSERT INTO runs (id, conversation_id, user_id, agent) VALUES (${run}, ${conversation},
    ${user}, ${agent})`;
  const levels = ["debug", "info", "warning", "error"];
  for (const [i, level] of levels.entries()) {
    await sql`
      INSERT INTO log_records (at, kind, level, user_id, run_id, conversation_id, agent, category,
        message, properties)
      VALUES (${new Date(t0 + i * 1000)}, 'run', ${level}, ${user}, ${run}, ${conversation},
        ${agent}, 'glassbox.runtime', ${`step ${i} of ${agent}`},
        ${sql.json({ tool: i === 2 ? "zebracalc" : "clock", n: i })})`;
  }
  return { conversation, run };
}

Deno.test({ name: "logs API: filters, search, cursor, owner scope", ignore }, async () => {
  const db = await freshPostgres();
  const gb = await startGlassbox({
    DATABASE_URL: db.url,
    GLASSBOX_AUTH: "on",
    GLASSBOX_ADMIN_EMAIL: ADMIN.email,
    GLASSBOX_ADMIN_PASSWORD: ADMIN.password,
  });
  const api = `${gb.url}/api/v1`;
  try {
    const accounts = accountsOf(gb);
    const ada = await accounts.create("ada@example.com");
    const bob = await accounts.create("bob@example.com");
    const root = await accounts.create("boss@example.com", "admin");
    const [adaKey, bobKey, rootKey] = [
      await ada.bearer(),
      await bob.bearer(),
      await root.bearer(["read", "admin"]),
    ];
    const get = async (path: string, key: Record<string, string>) => {
      const res = await fetch(`${api}${path}`, { headers: key });
      return { status: res.status, body: await res.json() };
    };

    // A real run: its log events become records of ada's, with the run's conversation.
    const chat = await (await postJson(`${api}/chat`, { message: "What is 17 * 23?" }, adaKey))
      .json();
    const real = await waitFor(async () => {
      const r = await get(`/logs?run_id=${chat.run_id}`, adaKey);
      return r.body.items.length >= 4 && r.body.items;
    }, "the run's records");
    const [{ n }] = await db.sql`
      SELECT count(*)::int AS n FROM events WHERE run_id = ${chat.run_id} AND name = 'glassbox.log'`;
    assert.equal(real.length, n, "every log event of the run, once");
    for (const r of real) {
      assert.equal(r.kind, "run");
      assert.equal(r.user_id, ada.id);
      assert.equal(r.conversation_id, chat.conversation_id);
      assert.equal(typeof r.message, "string");
    }
    const ids = real.map((r: { id: number }) => r.id);
    const [{ m }] = await db.sql`
      SELECT count(*)::int AS m FROM events WHERE id IN ${db.sql(ids)} AND run_id = ${chat.run_id}`;
    assert.equal(m, n, "a run record's id is its event's id");

    const t0 = Date.UTC(2026, 0, 1);
    const a = await seedRun(db.sql, ada.id, "alpha", t0);
    const b = await seedRun(db.sql, bob.id, "beta", t0 + 10_000);
    const only = (body: { items: { agent: string }[] }) =>
      [...new Set(body.items.map((i) => i.agent))].sort();

    assert.deepEqual(only((await get("/logs?agent=beta", adaKey)).body), [], "not bob's for ada");
    assert.deepEqual(only((await get("/logs?agent=beta", rootKey)).body), ["beta"]);
    assert.deepEqual(
      only((await get(`/logs?user_id=${bob.id}&from=2026-01-01T00:00:00Z`, rootKey)).body),
      ["beta"],
      "an admin's user filter",
    );
    assert.deepEqual(
      (await get(`/logs?user_id=${ada.id}`, bobKey)).body.items,
      [],
      "a member's filter for someone else matches nothing",
    );

    const alpha = `agent=alpha`;
    const levels = async (q: string) =>
      (await get(`/logs?${alpha}&${q}`, adaKey)).body.items.map((i: { level: string }) => i.level);
    assert.deepEqual(await levels("level=warning"), ["error", "warning"], "this level and up");
    assert.deepEqual(await levels("level=fatal"), []);
    assert.deepEqual(
      await levels(
        `from=${new Date(t0 + 1000).toISOString()}&to=${new Date(t0 + 3000).toISOString()}`,
      ),
      ["warning", "info"],
      "from inclusive, to exclusive, newest first",
    );
    assert.deepEqual(await levels("q=zebracalc"), ["warning"], "full text: properties");
    assert.deepEqual(await levels(`q=${encodeURIComponent('"step 3"')}`), ["error"], "a phrase");
    assert.deepEqual(await levels("q=step%20-clock"), ["warning"], "an exclusion");
    assert.deepEqual(await levels(`conversation_id=${a.conversation}`), [
      "error",
      "warning",
      "info",
      "debug",
    ]);
    assert.deepEqual(await levels(`conversation_id=${b.conversation}`), [], "bob's conversation");

    const runLogs = await get(`/runs/${b.run}/logs`, bobKey);
    assert.equal(runLogs.status, 200);
    assert.equal(runLogs.body.items.length, 4);
    assert.equal((await get(`/runs/${b.run}/logs`, adaKey)).status, 404, "someone else's run");
    assert.equal((await get(`/runs/nope/logs`, adaKey)).status, 404);
    assert.deepEqual(
      (await get(`/runs/${b.run}/logs?level=error`, rootKey)).body.items.map((
        i: { level: string },
      ) => i.level),
      ["error"],
    );

    // Request records: ada's own requests, found by their id.
    const probe = await fetch(`${api}/conversations`, {
      headers: { ...adaKey, "x-request-id": "find-me-42" },
    });
    await probe.body?.cancel();
    const http = await waitFor(async () => {
      const r = await get("/logs?kind=http&request_id=find-me-42", adaKey);
      return r.body.items.length === 1 && r.body.items[0];
    }, "the request record");
    assert.equal(http.user_id, ada.id);
    assert.equal(http.properties.path, "/api/v1/conversations");
    assert.equal((await get("/logs?request_id=find-me-42", bobKey)).body.items.length, 0);
    assert.equal(
      (await get("/logs?kind=http&q=conversations", adaKey)).body.items.some((
        i: { request_id: string },
      ) => i.request_id === "find-me-42"),
      true,
      "request records are searchable",
    );

    // Paging through everything ada may see: no repeats, no gaps, same as one big page.
    const whole = (await get("/logs?limit=1000", adaKey)).body.items.map((i: { id: number }) =>
      i.id
    );
    const paged: number[] = [];
    let cursor: string | null = null;
    do {
      const r: { body: { items: { id: number }[]; next_cursor: string | null } } = await get(
        `/logs?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
        adaKey,
      );
      paged.push(...r.body.items.map((i) => i.id));
      cursor = r.body.next_cursor;
    } while (cursor);
    // Requests made while paging add records at the top: every earlier record is on a page.
    assert.equal(new Set(paged).size, paged.length, "no repeats");
    for (const id of whole) assert.ok(paged.includes(id), `record ${id} on some page`);

    for (
      const bad of [
        "level=loud",
        "kind=nope",
        "limit=0",
        "limit=5000",
        "cursor=garbage",
        "run_id=nope",
        "from=yesterday",
        `q=${"x".repeat(501)}`,
        "colour=red",
      ]
    ) {
      const r = await get(`/logs?${bad}`, adaKey);
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.error.code, "invalid_query", bad);
    }
    const nul = await get("/logs?q=a%00b%20%ED%A0%80", adaKey);
    assert.equal(nul.status, 200, "NUL and bytes that are no UTF-8 in a search are harmless");
    assert.equal((await get("/logs?q=%26%7C!%3A*()", adaKey)).status, 200, "tsquery syntax too");
  } finally {
    await gb.close();
    await db.close();
  }
});

Deno.test("logs on embedded PGlite: full-text search with its GIN index, filters, cursor", async () => {
  const db = await freshPglite();
  try {
    const user = "00000000-0000-0000-0000-000000000001";
    const a = await seedRun(db.sql, user, "alpha", Date.UTC(2026, 0, 1));
    const found = await listLogRecords(db.sql, { scope: ALL, q: "zebracalc" });
    assert.deepEqual(found.items.map((r) => r.level), ["warning"]);
    const phrase = await listLogRecords(db.sql, { scope: ALL, q: '"step 3" alpha' });
    assert.deepEqual(phrase.items.map((r) => r.level), ["error"]);
    const page1 = await listLogRecords(db.sql, { scope: ALL, runId: a.run, limit: 3 });
    const page2 = await listLogRecords(db.sql, {
      scope: ALL,
      runId: a.run,
      limit: 3,
      cursor: page1.nextCursor!,
    });
    assert.deepEqual(
      [...page1.items, ...page2.items].map((r) => r.level),
      ["error", "warning", "info", "debug"],
    );
    assert.equal(page2.nextCursor, null);
    await db.sql`SET enable_seqscan = off`;
    const plan = await db.sql`
      EXPLAIN SELECT id FROM log_records WHERE search @@ websearch_to_tsquery('simple', 'zebracalc')`;
    assert.match(
      plan.map((r) => r["QUERY PLAN"]).join("\n"),
      /log_records_search/,
      "the GIN index",
    );
  } finally {
    await db.close();
  }
});

Deno.test(
  { name: "logs page: a bad filter is a 400 page naming it; hostile text escaped", ignore },
  () =>
    withDemoGlassbox(async (gb) => {
      for (
        const [query, words] of [
          ["level=loud", /level: must be one of/],
          ["from=yesterday", /from: must be a date and time/],
          ["cursor=nope", /invalid cursor/],
          ["colour=red", /Unrecognized key/],
        ] as const
      ) {
        const res = await fetch(`${gb.url}/logs?${query}`);
        assert.equal(res.status, 400, query);
        assert.match(await res.text(), words, query);
      }
      const evil = "<script>alert(1)</script>";
      await gb.glassbox.deps.db.sql`
      INSERT INTO log_records (at, kind, level, user_id, category, message)
      VALUES (now(), 'run', 'info', '00000000-0000-0000-0000-000000000001', 'x', ${evil})`;
      const page = await fetch(`${gb.url}/logs?q=${encodeURIComponent(evil)}`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.ok(!html.includes(evil) && html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
      const plain = await fetch(`${gb.url}/logs?kind=http&to=2020-01-01T00:00`);
      assert.match(await plain.text(), /History only/, "no live tail for a range that ended");
    }),
);
