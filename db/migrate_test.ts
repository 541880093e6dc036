import assert from "node:assert/strict";
import postgres from "postgres";
import { freshPostgres, skipWithoutPostgres } from "../tests/support/db.ts";
import { migrate, MIGRATIONS } from "./migrate.ts";
import { LOCAL_USER_ID } from "./users.ts";

const ignore = await skipWithoutPostgres();

Deno.test(
  { name: "migrations: two instances starting at once apply each exactly once", ignore },
  async () => {
    const db = await freshPostgres(); // already migrated once: start again from an empty schema
    await db.sql.unsafe(`DROP SCHEMA public CASCADE; CREATE SCHEMA public;`);
    const a = postgres(db.url, { max: 2, onnotice: () => {} });
    const b = postgres(db.url, { max: 2, onnotice: () => {} });
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      const all = MIGRATIONS.map((m) => m.version);
      // One instance applied everything; the other, waiting on the lock, found nothing to do.
      assert.deepEqual([ra, rb].sort((x, y) => y.length - x.length), [all, []]);
      const rows = await db.sql`SELECT version FROM schema_migrations ORDER BY version`;
      assert.deepEqual(rows.map((r) => r.version), all);
      assert.deepEqual(await migrate(a), [], "idempotent");
    } finally {
      await a.end();
      await b.end();
      await db.close();
    }
  },
);

Deno.test(
  { name: "migrations: data from before accounts becomes the local user's", ignore },
  async () => {
    const db = await freshPostgres();
    await db.sql.unsafe(`DROP SCHEMA public CASCADE; CREATE SCHEMA public;`);
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      // A database as the first release left it: only 001, free-text user labels.
      const first = MIGRATIONS.find((m) => m.version === 1)!;
      await sql.unsafe(first.sql);
      await sql`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`;
      await sql`INSERT INTO schema_migrations (version, name) VALUES (1, ${first.name})`;
      const [conv, run] = [crypto.randomUUID(), crypto.randomUUID()];
      await sql`INSERT INTO conversations (id, user_id) VALUES (${conv}, 'ada')`;
      await sql`INSERT INTO runs (id, conversation_id, user_id, agent) VALUES (${run}, ${conv}, 'ada', 'a')`;
      for (const user of ["ada", null]) {
        await sql`
          INSERT INTO llm_calls (id, run_id, span_id, user_id, operation, provider, request_model,
            usage_source, started_at, ended_at, duration_ms, status)
          VALUES (${crypto.randomUUID()}, ${run}, 's', ${user}, 'chat', 'p', 'm', 'none', now(),
            now(), 1, 'ok')`;
      }

      assert.deepEqual(await migrate(sql), MIGRATIONS.map((m) => m.version).filter((v) => v > 1));
      const owners = await sql`
        SELECT user_id FROM conversations UNION ALL SELECT user_id FROM runs
        UNION ALL SELECT user_id FROM llm_calls`;
      assert.deepEqual(owners.map((r) => r.user_id), Array(4).fill(LOCAL_USER_ID));
      const labels = await sql`SELECT metadata->>'legacy_user_id' AS l FROM llm_calls ORDER BY 1`;
      assert.deepEqual(labels.map((r) => r.l), ["ada", null], "the old label is kept");
      const [local] = await sql`SELECT role, email, password_hash FROM users`;
      assert.deepEqual({ ...local }, { role: "admin", email: null, password_hash: null });
      // From now on every row needs a real owner.
      await assert.rejects(
        sql`INSERT INTO conversations (id, user_id) VALUES (${crypto.randomUUID()}, ${crypto.randomUUID()})`,
      );
    } finally {
      await sql.end();
      await db.close();
    }
  },
);

Deno.test(
  { name: "migrations: 010 keeps the newest of a conversation's running runs", ignore },
  async () => {
    const db = await freshPostgres();
    await db.sql.unsafe(`DROP SCHEMA public CASCADE; CREATE SCHEMA public;`);
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const before = MIGRATIONS.filter((m) => m.version < 10);
      await sql`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`;
      for (const m of before) {
        await sql.unsafe(m.sql);
        await sql`INSERT INTO schema_migrations (version, name) VALUES (${m.version}, ${m.name})`;
      }
      // Two running runs of one conversation (the race migration 010 closes), and a gateway
      // session's run beside them.
      const conv = crypto.randomUUID();
      const [older, newer, gateway] = [
        crypto.randomUUID(),
        crypto.randomUUID(),
        crypto.randomUUID(),
      ];
      await sql`INSERT INTO conversations (id, user_id) VALUES (${conv}, ${LOCAL_USER_ID})`;
      for (const [id, agent, ago] of [[older, "a", 60], [newer, "a", 1], [gateway, "gateway", 0]]) {
        await sql`INSERT INTO runs (id, conversation_id, user_id, agent, started_at)
          VALUES (${id}, ${conv}, ${LOCAL_USER_ID}, ${agent}, now() - ${ago} * interval '1 second')`;
      }
      // 010 and whatever came after it.
      const after = MIGRATIONS.filter((m) => m.version >= 10).map((m) => m.version);
      assert.deepEqual(await migrate(sql), after);
      const rows = await sql`SELECT id, status FROM runs ORDER BY started_at`;
      assert.deepEqual(rows.map((r) => [r.id, r.status]), [
        [older, "interrupted"],
        [newer, "running"],
        [gateway, "running"],
      ]);
      await assert.rejects(
        sql`INSERT INTO runs (id, conversation_id, user_id, agent)
          VALUES (${crypto.randomUUID()}, ${conv}, ${LOCAL_USER_ID}, 'a')`,
        /runs_one_running_per_conversation/,
      );
    } finally {
      await sql.end();
      await db.close();
    }
  },
);
