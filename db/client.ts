/**
 * The one `sql` client. With DATABASE_URL it is a pool to that Postgres; without, an embedded
 * PGlite persisted under the data directory, reached over a unix socket by the same client
 * (pglite-socket serves one backend session, hence `max: 1`).
 */
import postgres from "postgres";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { migrate } from "./migrate.ts";

export type Sql = postgres.Sql;

export interface Database {
  sql: Sql;
  embedded: boolean;
  /** Human-readable location, for logs and /health (never includes a password). */
  describe: string;
  close(): Promise<void>;
}

const CLIENT_OPTIONS = {
  onnotice: () => {},
  // bigint ids (events.id) fit in a JS number for any realistic lifetime; numeric cost too.
  types: { bigint: postgres.BigInt },
  connect_timeout: 10,
  idle_timeout: 60,
} as const;

export async function openDatabase(
  opts: { databaseUrl: string | null; dataDir: string },
): Promise<Database> {
  const db = opts.databaseUrl ? openExternal(opts.databaseUrl) : await openEmbedded(opts.dataDir);
  try {
    await migrate(db.sql);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

/** The most one statement may take on an external Postgres before it is cancelled (57014). */
const STATEMENT_TIMEOUT_MS = 15_000;

function openExternal(url: string): Database {
  const sql = postgres(url, {
    ...CLIENT_OPTIONS,
    max: 10,
    transform: { undefined: null },
    connection: { statement_timeout: STATEMENT_TIMEOUT_MS },
  });
  sql.options.parsers[20] = Number; // int8 → number
  const u = new URL(url);
  return {
    sql,
    embedded: false,
    describe: `postgres://${u.hostname}:${u.port || 5432}${u.pathname}`,
    close: () => sql.end({ timeout: 5 }),
  };
}

/** postgres.js's own codes for a connection that failed or went away. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
]);

/**
 * Whether a query failed because the database is away (not because of the query): no connection,
 * SQLSTATE class 08, Postgres shutting down or starting (57P01–57P03), or the query timeout
 * (57014). Such a request is answered 503 with Retry-After, not 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  return CONNECTION_CODES.has(code) || code.startsWith("08") || /^57(P0[123]|014)$/.test(code) ||
    e?.name === "ConnectionRefused" || e?.name === "ConnectionReset";
}

/** The embedded database is open in another process; the message names it. */
export class DatabaseLockedError extends Error {}

/**
 * Locks the data directory to this process (an advisory lock on `glassbox.lock`, which holds the
 * pid): two processes on one PGlite directory would each lose the other's writes. The kernel
 * releases the lock when the process ends, however it ends (kill -9 included).
 */
async function lockDataDir(dataDir: string): Promise<Deno.FsFile> {
  const path = `${dataDir}/glassbox.lock`;
  const file = await Deno.open(path, { read: true, write: true, create: true });
  if (!(await file.tryLock(true))) {
    file.close();
    const pid = (await Deno.readTextFile(path).catch(() => "")).trim() || "unknown";
    throw new DatabaseLockedError(
      `the embedded database in ${dataDir} is in use by another Glassbox (pid ${pid}); stop ` +
        `that one first, or give this one its own GLASSBOX_DATA or a DATABASE_URL`,
    );
  }
  await file.truncate(0);
  await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  return file;
}

async function openEmbedded(dataDir: string): Promise<Database> {
  await Deno.mkdir(dataDir, { recursive: true });
  const lock = await lockDataDir(dataDir);
  const pg = await PGlite.create(`${dataDir}/pgdata`).catch((err) => {
    lock.close();
    throw err;
  });
  const path = `${dataDir}/.s.PGSQL.${Deno.pid}`;
  await Deno.remove(path).catch(() => {});
  const server = new PGLiteSocketServer({ db: pg, path, maxConnections: 4 });
  await server.start();
  const sql = postgres({
    ...CLIENT_OPTIONS,
    path,
    database: "postgres",
    username: "postgres",
    max: 1,
    transform: { undefined: null },
  });
  sql.options.parsers[20] = Number;
  return {
    sql,
    embedded: true,
    describe: `embedded PGlite at ${dataDir}/pgdata`,
    close: async () => {
      await sql.end({ timeout: 5 }).catch(() => {});
      await server.stop().catch(() => {});
      await pg.close().catch(() => {});
      await Deno.remove(path).catch(() => {});
      lock.close();
    },
  };
}
