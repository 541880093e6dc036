/**
 * Exports over real HTTP with a real Postgres and sign-in on: logs, LLM calls and runs as CSV,
 * JSON and NDJSON; more rows than one page of the exporter (so its keyset paging is crossed);
 * each row once, newest first; hostile text survives CSV quoting and formulas are defused; the
 * filters apply; a member gets only their own rows, an admin everyone's or one user's.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { postJson } from "./support/server.ts";
import { signedInStack } from "./support/signed_in.ts";

const ignore = await skipWithoutPostgres();

/** RFC 4180 rows (quoted cells may hold commas, quotes and newlines). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") row.push(cell), cell = "";
    else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell), rows.push(row), row = [], cell = "", i++;
    } else cell += ch;
  }
  return rows;
}

const HOSTILE = '=cmd|" /C calc"!A0, then "quotes"\nand a second line';

Deno.test(
  { name: "exports: CSV, JSON, NDJSON of logs, calls and runs, scoped", ignore },
  async () => {
    await using s = await signedInStack();
    const { db, gb, accounts } = s;
    const ada = await accounts.create("ada@example.com");
    const bob = await accounts.create("bob@example.com");
    const boss = await accounts.create("boss@example.com", "admin");
    const [adaKey, bobKey, bossKey] = [
      await ada.bearer(),
      await bob.bearer(),
      await boss.bearer(["read", "admin"]),
    ];
    const adaRun = await (await postJson(`${gb.url}/api/v1/chat`, { message: "17 * 23?" }, adaKey))
      .json();
    const bobRun = await (await postJson(`${gb.url}/api/v1/chat`, { message: "hi" }, bobKey))
      .json();
    // 2,500 more of ada's records: past the exporter's page of 1,000, twice.
    await db.sql`
      INSERT INTO log_records (at, kind, level, user_id, run_id, conversation_id, agent, category,
        message, properties)
      SELECT now() - g * interval '1 second', 'run', CASE WHEN g % 10 = 0 THEN 'error' ELSE 'info' END,
        ${ada.id}, ${adaRun.run_id}, ${adaRun.conversation_id}, 'bulk', 'glassbox.bench',
        'bulk record ' || g, jsonb_build_object('n', g)
      FROM generate_series(1, 2500) g`;
    await db.sql`
      INSERT INTO log_records (at, kind, level, user_id, run_id, conversation_id, agent, category,
        message)
      VALUES (now(), 'run', 'warning', ${ada.id}, ${adaRun.run_id}, ${adaRun.conversation_id},
        'hostile', 'x', ${HOSTILE})`;
    const get = (path: string, key: Record<string, string>) =>
      fetch(`${gb.url}/api/v1/exports/${path}`, { headers: key });
    const count = async (user: string, extra = db.sql``) =>
      (await db.sql`SELECT count(*)::int AS n FROM log_records WHERE user_id = ${user} ${extra}`)[
        0
      ]
        .n as number;

    const ndjson = await get("logs?format=ndjson&kind=run", adaKey);
    assert.equal(ndjson.status, 200);
    assert.match(ndjson.headers.get("content-type")!, /application\/x-ndjson/);
    assert.match(
      ndjson.headers.get("content-disposition")!,
      /attachment; filename="glassbox-logs-/,
    );
    const lines = (await ndjson.text()).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, await count(ada.id, db.sql`AND kind = 'run'`));
    assert.ok(lines.length > 2500);
    assert.equal(new Set(lines.map((l) => l.id)).size, lines.length, "each row once");
    assert.ok(lines.every((l) => l.user_id === ada.id), "only ada's");
    const times = lines.map((l) => Date.parse(l.at));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), "newest first");

    const json = await (await get("logs?format=json&kind=run&level=error", adaKey)).json();
    assert.equal(
      json.length,
      await count(ada.id, db.sql`AND kind = 'run' AND level IN ('error', 'fatal')`),
    );
    assert.ok(json.every((r: { level: string }) => r.level === "error"));

    const csv = parseCsv(await (await get("logs?format=csv&agent=hostile", adaKey)).text());
    const [header, ...rows] = csv;
    assert.ok(header.includes("message") && header.includes("properties"));
    assert.equal(rows.length, 1);
    assert.equal(rows[0][header.indexOf("message")], `'${HOSTILE}`, "quoted, formula defused");
    const all = parseCsv(await (await get("logs?format=csv&kind=run", adaKey)).text());
    assert.equal(all.length - 1, lines.length, "CSV rows = NDJSON rows");

    const empty = await get("logs?format=json&agent=nobody", adaKey);
    assert.deepEqual(await empty.json(), [], "no rows: an empty array");

    // LLM calls and runs: ada's only; the admin's user filter.
    const calls = parseCsv(await (await get("llm-calls?format=csv", adaKey)).text());
    const runCol = calls[0].indexOf("run_id");
    assert.ok(calls.length > 1 && calls.slice(1).every((r) => r[runCol] === adaRun.run_id));
    const runs = await (await get("runs?format=json", adaKey)).json();
    assert.deepEqual(runs.map((r: { id: string }) => r.id), [adaRun.run_id]);
    assert.ok(runs[0].llm_calls > 0 && runs[0].status === "succeeded");
    const bobs = (await (await get(`runs?format=ndjson&user_id=${bob.id}`, bossKey)).text())
      .trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(bobs.map((r) => r.id), [bobRun.run_id]);
    const everyone = await (await get("runs?format=json", bossKey)).json();
    assert.equal(everyone.length, 2);
    assert.deepEqual(await (await get(`runs?format=json&user_id=${bob.id}`, adaKey)).json(), []);

    for (
      const bad of ["logs?format=xml", "logs?level=loud", "runs?status=nope", "llm-calls?x=1"]
    ) {
      const res = await get(bad, adaKey);
      assert.equal(res.status, 400, bad);
      assert.equal((await res.json()).error.code, "invalid_query");
    }
  },
);
