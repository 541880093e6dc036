/**
 * The logs explorer on a large history: `deno task bench:logs` (default 1,000,000 records in a
 * fresh Postgres database; `--rows=N`, `--pglite` for the embedded database). Seeds log_records
 * with generate_series (run records of 20 users, 6 agents, every level; request records), then
 * times over real HTTP: the first page, filtered pages, full-text searches and the /logs page,
 * and streams a full NDJSON export while sampling the process's RSS. Prints Markdown; cleans up.
 */
import { createGlassbox } from "../app.ts";
import { loadConfig } from "../config.ts";
import { Cleanup, freshPglite, freshPostgres, note, num, summarize, table } from "./support.ts";

const rowsArg = Deno.args.find((a) => a.startsWith("--rows="));
const ROWS = rowsArg ? Number(rowsArg.slice(7)) : 1_000_000;
const PGLITE = Deno.args.includes("--pglite");
const REPEAT = 15;
const USERS = 20;

const cleanup = new Cleanup();
Deno.addSignalListener("SIGINT", async () => {
  await cleanup.all();
  Deno.exit(130);
});

try {
  await main();
} finally {
  await cleanup.all();
}

async function main() {
  const pg = PGLITE ? null : await freshPostgres(cleanup);
  const db = pg ?? await freshPglite(cleanup);
  const { sql } = db;
  note(`seeding ${ROWS.toLocaleString()} log records into ${PGLITE ? "PGlite" : "Postgres"}`);
  const users: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const id = crypto.randomUUID();
    users.push(id);
    await sql`INSERT INTO users (id, email, role) VALUES (${id}, ${`u${i}@bench.example`}, 'member')`;
  }
  // One conversation and run per user and 1,000 records (the runs only need to exist).
  const runsPerUser = Math.max(1, Math.ceil(ROWS / USERS / 1000));
  await sql`
    INSERT INTO conversations (id, user_id)
    SELECT gen_random_uuid(), u FROM unnest(${users}::uuid[]) u, generate_series(1, ${runsPerUser}::int)`;
  await sql`
    INSERT INTO runs (id, conversation_id, user_id, agent, status)
    SELECT gen_random_uuid(), c.id, c.user_id, 'glassbox', 'succeeded' FROM conversations c`;
  const runs = await sql`SELECT id, conversation_id, user_id FROM runs ORDER BY id`;
  const t0 = performance.now();
  const chunk = 50_000;
  for (let done = 0; done < ROWS; done += chunk) {
    const n = Math.min(chunk, ROWS - done);
    await sql`
      WITH r AS (SELECT row_number() OVER () - 1 AS k, id, conversation_id, user_id
                 FROM runs ORDER BY id)
      INSERT INTO log_records (at, kind, level, user_id, run_id, conversation_id, agent, category,
        message, properties, request_id)
      SELECT now() - (g * interval '250 milliseconds'),
        CASE WHEN g % 5 = 0 THEN 'http' ELSE 'run' END,
        CASE WHEN g % 1000 = 1 THEN 'error'
          ELSE (ARRAY['debug','info','info','info','info','info','info','warning','warning','error'])[1 + g % 10] END,
        r.user_id,
        CASE WHEN g % 5 = 0 THEN NULL ELSE r.id END,
        CASE WHEN g % 5 = 0 THEN NULL ELSE r.conversation_id END,
        CASE WHEN g % 5 = 0 THEN NULL
          ELSE (ARRAY['glassbox','utility','usage_analyst','researcher','writer','critic'])[1 + (g / 7) % 6] END,
        CASE WHEN g % 5 = 0 THEN 'glassbox.http' ELSE 'glassbox.runtime' END,
        CASE WHEN g % 5 = 0 THEN 'GET /api/v1/runs/' || r.id || ' 200 ' || (g % 97) || ' ms'
          WHEN g % 1000 = 1 THEN 'Tool zebracalc failed: quota exceeded after ' || g % 13 || ' tries'
          WHEN g % 50 = 3 THEN 'Tool calculator answered in ' || g % 300 || ' ms'
          ELSE 'LLM call ok: ' || g % 900 || ' in / ' || g % 200 || ' out in ' || g % 700 || ' ms' END,
        jsonb_build_object('callId', md5(g::text), 'model', 'gpt-4o-mini', 'n', g),
        CASE WHEN g % 5 = 0 THEN md5(g::text) ELSE NULL END
      FROM generate_series(${done + 1}::int, ${done + n}::int) g
      JOIN r ON r.k = (g::bigint * 7919) % ${runs.length}`;
    if ((done / chunk) % 4 === 0) note(`  ${(done + n).toLocaleString()} rows`);
  }
  await sql`ANALYZE log_records`;
  const seedS = (performance.now() - t0) / 1000;
  note(`seeded in ${num(seedS, 1)} s`);

  const config = loadConfig({
    PORT: "0",
    GLASSBOX_DEMO_DELAY_MS: "0",
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  });
  // The embedded database is opened once: the bench's own handle serves the app too.
  const gb = PGLITE ? null : await createGlassbox(config, { writeLog: () => {} });
  if (gb) cleanup.add("close glassbox", async () => void await gb.close());
  const server = gb
    ? Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, gb.app.fetch)
    : null;
  if (server) cleanup.add("stop the server", () => server.shutdown());
  const base = server ? `http://127.0.0.1:${server.addr.port}` : "";
  const member = gb
    ? `Bearer ${
      (await gb.deps.auth.keys.create({ userId: users[0], role: "member" }, "bench", ["read"])).key
    }`
    : "";
  const { listLogRecords } = await import("../db/log_records.ts");
  const { ALL } = await import("../db/owner.ts");

  /** Median and p95 ms of a request (over HTTP), or of the query itself on PGlite. */
  const time = async (path: string, asMember = false) => {
    const ms: number[] = [];
    let count = 0;
    for (let i = 0; i < REPEAT; i++) {
      const t = performance.now();
      if (base) {
        const res = await fetch(base + path, {
          headers: asMember ? { authorization: member } : {},
        });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
        count = path.startsWith("/api") ? JSON.parse(body).items.length : 0;
      } else {
        const q = Object.fromEntries(new URL(path, "http://x").searchParams);
        const page = await listLogRecords(sql, {
          scope: ALL,
          level: q.level as never,
          agent: q.agent,
          kind: q.kind as never,
          q: q.q,
          limit: 100,
        });
        count = page.items.length;
      }
      ms.push(performance.now() - t);
    }
    const s = summarize(ms);
    return [num(s.p50, 1), num(s.max, 1), String(count)];
  };

  const rows: string[][] = [];
  const cases: [string, string, boolean?][] = [
    ["first page, no filter (100 rows)", "/api/v1/logs?limit=100"],
    ["first page as a member (1 of 20 users)", "/api/v1/logs?limit=100", true],
    ["level=error (10%)", "/api/v1/logs?limit=100&level=error"],
    ["level=error&agent=writer (1.3%)", "/api/v1/logs?limit=100&level=error&agent=writer"],
    ["kind=http (20%)", "/api/v1/logs?limit=100&kind=http"],
    ["full text, rare word (0.1%): q=zebracalc", "/api/v1/logs?limit=100&q=zebracalc"],
    ["full text, 2% word: q=calculator", "/api/v1/logs?limit=100&q=calculator"],
    ["full text, common words: q=llm call ok", "/api/v1/logs?limit=100&q=llm%20call%20ok"],
    [
      "full text + level: q=zebracalc&level=error",
      "/api/v1/logs?limit=100&q=zebracalc&level=warning",
    ],
    ["full text as a member: q=zebracalc", "/api/v1/logs?limit=100&q=zebracalc", true],
    ["the /logs page (HTML, 100 rows)", "/logs"],
    ["the /logs page, searched: q=zebracalc", "/logs?q=zebracalc"],
  ];
  for (const [label, path, asMember] of cases) {
    if (!base && path.startsWith("/logs")) continue;
    note(`  ${label}`);
    rows.push([label, ...(await time(path, asMember))]);
  }

  let exportRow: string[] | null = null;
  if (base) {
    note("  export: NDJSON of every record");
    (globalThis as { gc?: () => void }).gc?.();
    const rssBefore = Deno.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 50);
    const t = performance.now();
    const res = await fetch(`${base}/api/v1/exports/logs?format=ndjson`);
    let bytes = 0;
    let lines = 0;
    for await (const part of res.body!) {
      bytes += part.byteLength;
      for (const b of part) if (b === 10) lines++;
    }
    clearInterval(sampler);
    const s = (performance.now() - t) / 1000;
    const mib = (n: number) => num(n / 1024 / 1024, 0);
    exportRow = [
      lines.toLocaleString(),
      `${num(bytes / 1024 / 1024, 0)} MiB`,
      `${num(s, 1)} s`,
      `${Math.round(lines / s).toLocaleString()}/s`,
      `${mib(rssBefore)} → ${mib(peak)} MiB`,
    ];
  }

  console.log(
    `**Logs explorer, ${ROWS.toLocaleString()} records** (${
      PGLITE ? "embedded PGlite, the query alone" : "Postgres, over HTTP"
    }; seeded in ${num(seedS, 0)} s; ${REPEAT} runs each)\n`,
  );
  console.log(table(["query", "p50 ms", "max ms", "rows"], rows));
  if (exportRow) {
    console.log("\n**Export** (`GET /api/v1/exports/logs?format=ndjson`, read to the end)\n");
    console.log(table(["rows", "size", "time", "rows/s", "RSS before → peak"], [exportRow]));
  }
}
