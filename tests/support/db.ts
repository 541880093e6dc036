/**
 * Test databases: a fresh database on the local Postgres per test run (dropped at the end), or
 * an embedded PGlite in a temporary directory. Outside CI a missing Postgres skips the tests that
 * need it, saying why; under CI=true it fails them.
 */
import postgres from "postgres";
import { type Database, openDatabase } from "../../db/client.ts";

const ADMIN_URL = Deno.env.get("GLASSBOX_TEST_PG") ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const IN_CI = Deno.env.get("CI") === "true";

let reachable: boolean | undefined;
export async function postgresReachable(): Promise<boolean> {
  if (reachable !== undefined) return reachable;
  const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await admin`SELECT 1`;
    reachable = true;
  } catch {
    reachable = false;
  } finally {
    await admin.end({ timeout: 1 }).catch(() => {});
  }
  if (!reachable && IN_CI) throw new Error(`CI=true but Postgres at ${ADMIN_URL} is unreachable`);
  return reachable;
}

/** Use as `ignore: !(await postgresReachable())` — under CI=true it throws instead of skipping. */
export const skipWithoutPostgres = async () => !(await postgresReachable());

/** Creates a uniquely named database, migrates it, and returns it with a drop-on-close. */
export async function freshPostgres(): Promise<Database & { url: string }> {
  const name = `glassbox_test_${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 8)}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.href, dataDir: "" });
  return {
    ...db,
    url: url.href,
    close: async () => {
      await db.close();
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await admin.end({ timeout: 2 });
    },
  };
}

/** An embedded PGlite in a fresh temporary directory, removed on close. */
export async function freshPglite(): Promise<Database & { dataDir: string }> {
  const dataDir = await Deno.makeTempDir({ prefix: "glassbox-pglite-" });
  const db = await openDatabase({ databaseUrl: null, dataDir });
  return {
    ...db,
    dataDir,
    close: async () => {
      await db.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
