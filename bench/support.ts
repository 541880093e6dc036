/**
 * Shared by the benchmark sections: a cleanup stack (run once, last in first out, also on Ctrl-C),
 * throwaway Postgres databases, statistics and Markdown tables.
 */
import postgres from "postgres";
import { type Database, openDatabase } from "../db/client.ts";
import { createConversation } from "../db/conversations.ts";
import { insertRun } from "../db/runs.ts";
import { LOCAL_USER_ID } from "../db/users.ts";
import { startGlassbox } from "../tests/support/server.ts";

export const ADMIN_URL = Deno.env.get("GLASSBOX_TEST_PG") ??
  "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * Things to undo, newest first. Every section registers what it creates as soon as it exists.
 * Runs are serialized (a Ctrl-C during a section's own cleanup waits for it); after `all()` has
 * begun, anything added is undone at once.
 */
export class Cleanup {
  #tasks: { label: string; fn: () => Promise<void> | void }[] = [];
  #lock: Promise<void> = Promise.resolve();
  #all: Promise<void> | null = null;

  add(label: string, fn: () => Promise<void> | void): void {
    this.#tasks.push({ label, fn });
    if (this.#all) void this.runFrom(0);
  }

  get mark(): number {
    return this.#tasks.length;
  }

  get closing(): boolean {
    return this.#all !== null;
  }

  /** Runs (and forgets) tasks added after `mark`, e.g. at the end of one section. */
  runFrom(mark: number): Promise<void> {
    return this.#lock = this.#lock.then(() => this.#drain(mark));
  }

  all(): Promise<void> {
    return this.#all ??= this.runFrom(0);
  }

  async #drain(mark: number): Promise<void> {
    while (this.#tasks.length > mark) {
      const { label, fn } = this.#tasks.pop()!;
      try {
        await withTimeout(Promise.resolve().then(fn), 15_000, `cleanup: ${label}`);
      } catch (err) {
        console.error(`cleanup "${label}" failed: ${err instanceof Error ? err.message : err}`);
      }
    }
  }
}

let admin: postgres.Sql | null = null;

/** The maintenance connection used to create and drop the benchmark's databases. */
function adminSql(cleanup: Cleanup): postgres.Sql {
  if (!admin) {
    const sql = admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
    cleanup.add("admin connection", async () => {
      admin = null;
      await sql.end({ timeout: 2 });
    });
  }
  return admin;
}

export async function postgresVersion(cleanup: Cleanup): Promise<string> {
  const [row] = await adminSql(cleanup)`SHOW server_version`;
  return String(row.server_version);
}

/** An empty database (dropped at cleanup); `gbbench_` so no other sweeper takes it for its own. */
export async function emptyPostgres(cleanup: Cleanup): Promise<string> {
  const sql = adminSql(cleanup);
  const name = `gbbench_${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 6)}`;
  await sql.unsafe(`CREATE DATABASE ${name}`);
  cleanup.add(`drop database ${name}`, async () => {
    await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.href;
}

/** A fresh, migrated Postgres database, opened; closed and dropped at cleanup. */
export async function freshPostgres(cleanup: Cleanup): Promise<Database & { url: string }> {
  const url = await emptyPostgres(cleanup);
  const db = await openDatabase({ databaseUrl: url, dataDir: "" });
  cleanup.add("close postgres client", () => db.close());
  return { ...db, url };
}

export async function tempDir(cleanup: Cleanup, prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  cleanup.add(`remove ${dir}`, () => Deno.remove(dir, { recursive: true }));
  return dir;
}

/** A fresh embedded PGlite in a temporary directory; closed and removed at cleanup. */
export async function freshPglite(cleanup: Cleanup): Promise<Database> {
  const dataDir = await tempDir(cleanup, "gbbench-pglite-");
  const db = await openDatabase({ databaseUrl: null, dataDir });
  cleanup.add("close pglite", () => db.close());
  return db;
}

/**
 * Inserts `n` running runs (events and llm_calls reference runs), each in its own conversation:
 * a conversation has one running run at a time (migration 010).
 */
export async function makeRuns(db: Database, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => crypto.randomUUID());
  for (const id of ids) {
    const conversationId = crypto.randomUUID();
    await createConversation(db.sql, { id: conversationId, userId: LOCAL_USER_ID, title: "bench" });
    await insertRun(db.sql, {
      id,
      conversationId,
      userId: LOCAL_USER_ID,
      agent: "bench",
      teamVersion: null,
      instanceId: crypto.randomUUID(),
    });
  }
  return ids;
}

export function withTimeout<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no result within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wall-clock ms since epoch with sub-ms precision, comparable across threads of one machine. */
export const wallNow = () => performance.timeOrigin + performance.now();

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(values: number[]) {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    mean: sum / sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
}

/** Fixed decimals; thousands separated for big numbers. */
export function num(v: number, decimals = 2): string {
  if (!Number.isFinite(v)) return "–";
  return v.toLocaleString("en-US", {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const align = head.map((_, i) => (i === 0 ? "---" : "--:"));
  return [line(head), line(align), ...rows.map(line)].join("\n");
}

/** Progress for the person watching; stdout stays clean Markdown. */
export function note(msg: string): void {
  console.error(`[bench] ${msg}`);
}

/**
 * A Glassbox of its own (own database) whose model endpoint — and so its gateway's upstream — is
 * `upstream`, with an admin API key that may use the gateway.
 */
export async function gatewayGlassbox(cleanup: Cleanup, upstream: string) {
  const db = await freshPostgres(cleanup);
  const gb = await startGlassbox({
    DATABASE_URL: db.url,
    OPENAI_BASE_URL: upstream,
    OPENAI_API_KEY: "bench",
  });
  cleanup.add("stop Glassbox", () => gb.close());
  const { key } = await gb.glassbox.deps.auth.keys.create(
    { userId: LOCAL_USER_ID, role: "admin" },
    "bench",
    ["gateway"],
  );
  return { db, gb, key };
}
