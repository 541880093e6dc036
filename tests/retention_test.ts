/**
 * Retention and clearing over real HTTP with a real Postgres: with GLASSBOX_RETENTION_DAYS and
 * the prompt/response settings, the background pass deletes old log records (and their events)
 * in batches, removes old prompts and responses but keeps the calls, and leaves recent data;
 * POST /api/v1/logs/clear clears a run's records, a conversation's, or everything older than a
 * date — admins only, each clear in the audit log.
 */
import assert from "node:assert/strict";
import type { Sql } from "../db/client.ts";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { postJson, startGlassbox } from "./support/server.ts";
import { signedInStack } from "./support/signed_in.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();
const LOCAL = "00000000-0000-0000-0000-000000000001";
const DAY = 86_400_000;

/** A run with `n` log records (events and their records) `daysAgo` old, and one LLM call. */
async function oldRun(sql: Sql, daysAgo: number, n: number, user = LOCAL) {
  const at = new Date(Date.now() - daysAgo * DAY);
  const conversation = crypto.randomUUID();
  const run = crypto.randomUUID();
  await sql`INSERT INTO conversations (id, user_id, created_at) VALUES (${conversation}, ${user}, ${at})`;
  await sql`INSERT INTO runs (id, conversation_id, user_id, agent, started_at)
    VALUES (${run}, ${conversation}, ${user}, 'glassbox', ${at})`;
  await sql`
    WITH e AS (
      INSERT INTO events (run_id, seq, type, name, payload, created_at)
      SELECT ${run}, g, 'CUSTOM', 'glassbox.log',
        jsonb_build_object('type', 'CUSTOM', 'name', 'glassbox.log', 'value',
          jsonb_build_object('level', 'info', 'message', 'old ' || g, 'category', 'x',
            'timestamp', 0, 'agent', 'glassbox')), ${at}
      FROM generate_series(1, ${n}) g RETURNING id)
    INSERT INTO log_records (id, at, kind, level, user_id, run_id, conversation_id, category, message)
    SELECT id, ${at}, 'run', 'info', ${user}, ${run}, ${conversation}, 'x', 'old' FROM e`;
  await sql`
    INSERT INTO llm_calls (id, run_id, span_id, conversation_id, user_id, operation, provider,
      request_model, prompt, response, tool_calls, usage_source, started_at, ended_at,
      duration_ms, status)
    VALUES (${crypto.randomUUID()}, ${run}, 's', ${conversation}, ${user}, 'chat', 'p', 'm',
      ${sql.json([{ role: "user", content: "secret question" }])}, 'secret answer',
      ${sql.json([])}, 'none', ${at}, ${at}, 1, 'ok')`;
  return { run, conversation };
}

const logCount = async (sql: Sql, run: string) =>
  (await sql`SELECT (SELECT count(*)::int FROM log_records WHERE run_id = ${run}) AS records,
    (SELECT count(*)::int FROM events WHERE run_id = ${run} AND name = 'glassbox.log') AS events`)[
    0
  ];

Deno.test(
  { name: "retention: old logs and content go in the background, in batches", ignore },
  async () => {
    const db = await freshPostgres();
    const old = await oldRun(db.sql, 40, 2500); // more than two batches
    const middling = await oldRun(db.sql, 20, 3);
    const recent = await oldRun(db.sql, 10, 3);
    const fresh = await oldRun(db.sql, 1, 3);
    const gb = await startGlassbox({
      DATABASE_URL: db.url,
      GLASSBOX_RETENTION_DAYS: "30",
      GLASSBOX_RETENTION_PROMPT_DAYS: "7",
      GLASSBOX_RETENTION_RESPONSE_DAYS: "14",
    });
    try {
      await waitFor(
        async () => (await logCount(db.sql, old.run)).records === 0,
        "old records gone",
        30_000,
      );
      assert.deepEqual(await logCount(db.sql, old.run), { records: 0, events: 0 }, "events too");
      assert.deepEqual(await logCount(db.sql, middling.run), { records: 3, events: 3 });
      const content = async (run: string) =>
        (await db
          .sql`SELECT prompt, response, tool_calls, metadata FROM llm_calls WHERE run_id = ${run}`)[
            0
          ];
      await waitFor(
        async () => (await content(middling.run)).response === null,
        "old responses gone",
        30_000,
      );
      const m = await content(middling.run);
      assert.equal(m.prompt, null);
      assert.equal(m.tool_calls, null);
      assert.ok(m.metadata.prompt_removed_at && m.metadata.response_removed_at);
      const r = await content(recent.run);
      assert.equal(r.prompt, null, "10 days: past the prompt's 7");
      assert.equal(r.response, "secret answer", "but not the response's 14");
      const f = await content(fresh.run);
      assert.ok(f.prompt !== null && f.response === "secret answer", "a day old: kept");
      const [{ calls }] = await db.sql`SELECT count(*)::int AS calls FROM llm_calls`;
      assert.equal(calls, 4, "the calls themselves stay (usage and cost)");
    } finally {
      await gb.close();
      await db.close();
    }
  },
);

Deno.test(
  { name: "clear: a run, a conversation, older than a date; admins only; audited", ignore },
  async () => {
    await using s = await signedInStack();
    const { db, gb, accounts } = s;
    const ada = await accounts.create("ada@example.com");
    const boss = await accounts.create("boss@example.com", "admin");
    const [adaKey, bossKey] = [await ada.bearer(), await boss.bearer(["chat", "read", "admin"])];
    const a = await oldRun(db.sql, 3, 5, ada.id);
    const b = await oldRun(db.sql, 3, 5, ada.id);
    const c = await oldRun(db.sql, 60, 5, ada.id);
    const d = await oldRun(db.sql, 1, 5, ada.id);
    const clear = (body: unknown, key: Record<string, string>) =>
      postJson(`${gb.url}/api/v1/logs/clear`, body, key);

    const refused = await clear({ run_id: a.run }, adaKey);
    assert.equal(refused.status, 403, "a member may not");
    await refused.body?.cancel();
    assert.equal((await logCount(db.sql, a.run)).records, 5);
    for (
      const bad of [{}, { run_id: a.run, before: "2026-01-01" }, { run_id: "x" }, {
        before: "soon",
      }]
    ) {
      const res = await clear(bad, bossKey);
      assert.equal(res.status, 400, JSON.stringify(bad));
      await res.body?.cancel();
    }

    const byRun = await clear({ run_id: a.run }, bossKey);
    assert.deepEqual(await byRun.json(), { deleted: 5 });
    assert.deepEqual(await logCount(db.sql, a.run), { records: 0, events: 0 });
    assert.equal((await logCount(db.sql, b.run)).records, 5, "another run's stay");
    assert.deepEqual(await (await clear({ conversation_id: b.conversation }, bossKey)).json(), {
      deleted: 5,
    });
    const cut = new Date(Date.now() - 30 * DAY).toISOString();
    assert.deepEqual(await (await clear({ before: cut }, bossKey)).json(), { deleted: 5 });
    assert.equal((await logCount(db.sql, c.run)).records, 0);
    assert.equal((await logCount(db.sql, d.run)).records, 5, "newer than the date: kept");

    const audit = await db.sql`
      SELECT actor_email, action, target, detail FROM audit_log WHERE action = 'logs_cleared'
      ORDER BY id`;
    assert.deepEqual(audit.map((r) => [r.actor_email, r.target, r.detail.deleted]), [
      ["boss@example.com", a.run, 5],
      ["boss@example.com", b.conversation, 5],
      ["boss@example.com", `before ${cut}`, 5],
    ]);
  },
);
