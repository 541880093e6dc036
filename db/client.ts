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
  /**
   * External Postgres: replaces the connection pool (`sql` stays the same handle); the old one's
   * connections are closed at once, their queries rejected as by a lost connection. For when a
   * connection stopped answering (a write past its deadline): its peer may be gone for good.
   */
  reset?(): void;
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

/**
 * postgres.js (3.4.9, under Deno) can throw from a timer when a server accepts connections and
 * closes them at once: its deferred write finds the socket already gone ("Cannot read properties
 * of null (reading 'write')" in connection.js nextWrite), an uncaught error that would end the
 * process, and that connection object is broken for good after it (its write timer is never
 * reset, so it never sends its startup message again). So that error, and only that one, is
 * logged instead, and the pool it came from is replaced: `sql` is a stable handle onto the
 * current postgres.js pool (the old one is ended, its queries rejected as a closed connection
 * would: the writers retry them, requests get their 503).
 */
const brokenPools = new Set<() => void>();
let guarded = false;
function guardPostgresJsTimers(): void {
  if (guarded) return;
  guarded = true;
  globalThis.addEventListener("error", (e) => {
    const err = e.error as { stack?: unknown } | null;
    const stack = typeof err?.stack === "string" ? err.stack : "";
    if (!(err instanceof TypeError && /nextWrite/.test(stack) && /postgres/.test(stack))) return;
    e.preventDefault();
    console.error("glassbox: postgres.js wrote to a closed connection; new pool:", err.message);
    for (const replace of brokenPools) replace();
  });
}

/** A `sql` whose calls and properties go to whatever pool `current()` is. */
function stableSql(current: () => Sql): Sql {
  const target = function () {} as unknown as Sql;
  return new Proxy(target, {
    apply: (_t, _this, args) => (current() as unknown as (...a: unknown[]) => unknown)(...args),
    get: (_t, prop) => {
      const pool = current();
      const value = Reflect.get(pool, prop);
      return typeof value === "function" ? value.bind(pool) : value;
    },
  });
}

function openExternal(url: string): Database {
  guardPostgresJsTimers();
  const connect = () => {
    const pool = postgres(url, {
      ...CLIENT_OPTIONS,
      max: 10,
      transform: { undefined: null },
      connection: { statement_timeout: STATEMENT_TIMEOUT_MS },
    });
    pool.options.parsers[20] = Number; // int8 → number
    return pool;
  };
  let pool = connect();
  let replacedAt = -Infinity;
  const replace = () => {
    // Once a second at most: several writers may find the same dead pool at once.
    if (performance.now() - replacedAt < 1000) return;
    replacedAt = performance.now();
    const old = pool;
    pool = connect();
    old.end({ timeout: 0 }).catch(() => {});
  };
  brokenPools.add(replace);
  const u = new URL(url);
  return {
    sql: stableSql(() => pool),
    embedded: false,
    describe: `postgres://${u.hostname}:${u.port || 5432}${u.pathname}`,
    reset: replace,
    close: () => {
      brokenPools.delete(replace);
      return pool.end({ timeout: 5 });
    },
  };
}

/**
 * The database did not answer in time (a request or a run start past its deadline): postgres.js
 * has no deadline of its own for a server that accepts connections and then closes them or never
 * answers (it reconnects for ever, the query still queued), and Postgres' statement_timeout
 * cannot help when the statement never reaches it.
 */
export class DatabaseTimeoutError extends Error {
  readonly code = "DATABASE_TIMEOUT";
  constructor(what: string, ms: number) {
    super(`${what}: no answer from the database within ${ms} ms`);
  }
}

/** postgres.js's own codes for a connection that failed or went away (and ours, above). */
const CONNECTION_CODES = new Set([
  "DATABASE_TIMEOUT",
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
