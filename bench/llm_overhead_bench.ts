/**
 * What recording costs: the bare openai client against RecordingLlmClient (which also inserts an
 * llm_calls row per call), both streaming the same 20-chunk answer from the scripted server over
 * real HTTP. Runs on the local Postgres when reachable and always on embedded PGlite.
 *
 *   deno bench --allow-all bench/llm_overhead_bench.ts
 *
 * deno bench has no after-all hook, so each run first drops what earlier runs left behind
 * (databases named glassbox_bench_*, PGlite directories are removed on unload).
 */
import postgres from "postgres";
import { createOpenAi, RecordingLlmClient } from "../agents/llm_client.ts";
import type { LlmCallScope, LlmRequest } from "../agents/types.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { startScriptedLlm } from "../tests/support/scripted_llm.ts";

const ADMIN_URL = Deno.env.get("GLASSBOX_TEST_PG") ?? "postgres://postgres@127.0.0.1:5432/postgres";
const CHUNKS = Array.from({ length: 20 }, (_, i) => `word${i} `);
const SCRIPT = { kind: "text" as const, chunks: CHUNKS };
const REQ: LlmRequest = {
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Tell me twenty words." }],
};
const SCOPE: LlmCallScope = {
  runId: null,
  conversationId: null,
  userId: "bench",
  agentName: "bench",
  operation: "chat",
  parentSpanId: null,
};

const llm = startScriptedLlm();
const openai = createOpenAi({ baseURL: llm.url, apiKey: "bench" });

const databases: { label: string; db: Database }[] = [];
const pg = await benchPostgres();
if (pg) databases.push({ label: "postgres", db: pg });
const pgliteDir = await Deno.makeTempDir({ prefix: "glassbox-bench-pglite-" });
globalThis.addEventListener("unload", () => Deno.removeSync(pgliteDir, { recursive: true }));
databases.push({
  label: "pglite",
  db: await openDatabase({ databaseUrl: null, dataDir: pgliteDir }),
});

for (const { label, db } of databases) {
  const client = new RecordingLlmClient({
    openai,
    sql: db.sql,
    provider: "scripted",
    contentLogging: { mode: "truncate", chars: 1000 },
    prices: { "gpt-4o-mini": { input: 0.15, output: 0.6 } },
    idleTimeoutMs: 30_000,
    maxAttempts: 1,
  });

  Deno.bench({
    name: `bare openai stream (${label} group)`,
    group: `stream-20/${label}`,
    baseline: true,
    async fn() {
      llm.push(SCRIPT);
      const stream = await openai.chat.completions.create({
        ...REQ,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
      if (text.length < 100) throw new Error("short answer");
    },
  });

  Deno.bench({
    name: `RecordingLlmClient.stream + insert (${label})`,
    group: `stream-20/${label}`,
    async fn() {
      llm.push(SCRIPT);
      const res = await client.stream(REQ, SCOPE);
      if (res.text.length < 100) throw new Error("short answer");
    },
  });
}

/** A fresh, migrated database on the local Postgres, or null when it is not running. */
async function benchPostgres(): Promise<Database | null> {
  const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    const stale = await admin<{ datname: string }[]>`
      SELECT datname FROM pg_database WHERE datname LIKE 'glassbox\\_bench\\_%'`;
    for (const { datname } of stale) {
      await admin`DROP DATABASE IF EXISTS ${admin(datname)} WITH (FORCE)`;
    }
    const name = `glassbox_bench_${Date.now().toString(36)}`;
    await admin`CREATE DATABASE ${admin(name)}`;
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    return await openDatabase({ databaseUrl: url.href, dataDir: "" });
  } catch (err) {
    console.error(`local Postgres not used: ${err instanceof Error ? err.message : err}`);
    return null;
  } finally {
    await admin.end({ timeout: 1 }).catch(() => {});
  }
}
