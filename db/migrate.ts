/**
 * Applies db/migrations/NNN_name.sql in order, once each, under an advisory lock so two
 * instances starting together do not race. The files are imported as text so `deno compile`
 * embeds them.
 */
import type postgres from "postgres";
import m001 from "./migrations/001_init.sql" with { type: "text" };
import m003 from "./migrations/003_accounts.sql" with { type: "text" };
import m004 from "./migrations/004_team_version.sql" with { type: "text" };
import m005 from "./migrations/005_spine.sql" with { type: "text" };
import m006 from "./migrations/006_logs.sql" with { type: "text" };
import m007 from "./migrations/007_cost.sql" with { type: "text" };
import m009 from "./migrations/009_alerts.sql" with { type: "text" };
import m010 from "./migrations/010_one_run_per_conversation.sql" with { type: "text" };
import m011 from "./migrations/011_usage_estimates.sql" with { type: "text" };

// No 002: numbers were handed out per issue, and that one went unused.
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  { version: 1, name: "001_init", sql: m001 },
  { version: 3, name: "003_accounts", sql: m003 },
  { version: 4, name: "004_team_version", sql: m004 },
  { version: 5, name: "005_spine", sql: m005 },
  { version: 6, name: "006_logs", sql: m006 },
  { version: 7, name: "007_cost", sql: m007 },
  { version: 9, name: "009_alerts", sql: m009 },
  { version: 10, name: "010_one_run_per_conversation", sql: m010 },
  { version: 11, name: "011_usage_estimates", sql: m011 },
];

const LOCK_KEY = 7_201_104_511; // arbitrary, fixed: "glassbox migrations"

export async function migrate(sql: postgres.Sql): Promise<number[]> {
  const conn = await sql.reserve();
  try {
    await conn`SELECT pg_advisory_lock(${LOCK_KEY})`;
    try {
      await conn`
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`;
      const done = new Set(
        (await conn`SELECT version FROM schema_migrations`).map((r) => r.version as number),
      );
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        // A reserved connection has no begin(); run the transaction by hand.
        await conn`BEGIN`;
        try {
          await conn.unsafe(m.sql);
          await conn`INSERT INTO schema_migrations (version, name) VALUES (${m.version}, ${m.name})`;
          await conn`COMMIT`;
        } catch (err) {
          await conn`ROLLBACK`;
          throw err;
        }
        applied.push(m.version);
      }
      return applied;
    } finally {
      await conn`SELECT pg_advisory_unlock(${LOCK_KEY})`;
    }
  } finally {
    conn.release();
  }
}
