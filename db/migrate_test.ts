import assert from "node:assert/strict";
import postgres from "postgres";
import { freshPostgres, skipWithoutPostgres } from "../tests/support/db.ts";
import { migrate, MIGRATIONS } from "./migrate.ts";

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
