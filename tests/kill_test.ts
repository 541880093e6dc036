/**
 * kill -9 mid-run, then a restart (issue 7, defect 15): the killed run is marked interrupted with a
 * clear reason and a stored terminal event, so its streams end — with an external Postgres once
 * the killed instance's lease expires (another instance sweeps), with the embedded one at the next
 * start (its directory lock is gone with the process).
 */
import assert from "node:assert/strict";
import { listEvents } from "../db/events.ts";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { postJson, startGlassbox } from "./support/server.ts";
import { allMessages, type SseMessage, sseMessages } from "./support/sse_client.ts";
import { spawnGlassbox } from "./support/process.ts";
import { waitFor } from "./support/wait.ts";
import { LOST_INSTANCE_REASON } from "../agents/runs/instance_lease.ts";

const ignore = await skipWithoutPostgres();

/** Starts a run on `url`, reads `n` of its events, returns them with the run id. */
async function runAndRead(url: string, n: number) {
  const res = await postJson(`${url}/api/v1/chat/stream`, { message: "What is 17 * 23?" });
  const runId = res.headers.get("x-run-id")!;
  const seen: SseMessage[] = [];
  const reader = sseMessages(res.body!);
  while (seen.length < n) {
    const next = await reader.next();
    if (next.done) break;
    seen.push(next.value);
  }
  return { runId, seen, reader };
}

Deno.test(
  { name: "kill -9, external Postgres: the lease expires, the run ends", ignore },
  async () => {
    const db = await freshPostgres();
    const llm = startScriptedLlm([{ kind: "slow", chunks: Array(500).fill("tick "), delayMs: 20 }]);
    const env = { DATABASE_URL: db.url, GLASSBOX_INSTANCE_LEASE_MS: "1000" };
    const a = await spawnGlassbox({ ...env, OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: "t" });
    let b: Awaited<ReturnType<typeof startGlassbox>> | undefined;
    try {
      const { runId, seen, reader } = await runAndRead(a.url, 10);
      a.kill("SIGKILL");
      await a.status;
      void (async () => {
        for await (const _ of reader);
      })().catch(() => {});
      b = await startGlassbox(env);
      // A follower on the surviving instance, while the run still looks alive.
      const follow = await fetch(`${b.url}/api/v1/runs/${runId}/events`);
      const followed = allMessages(follow.body!);
      const [run] = await waitFor(
        async () => {
          const rows = await db.sql`SELECT status, error FROM runs WHERE id = ${runId}`;
          return rows[0].status === "interrupted" && rows;
        },
        "the killed run marked interrupted",
        30_000,
      );
      assert.equal(run.error, LOST_INSTANCE_REASON);
      const stored = await listEvents(db.sql, runId);
      assert.deepEqual(stored.map((e) => e.seq), stored.map((_, i) => i + 1), "gap-free");
      const last = stored.at(-1)!.event as { type: string; code?: string; message?: string };
      assert.deepEqual([last.type, last.code], ["RUN_ERROR", "interrupted"]);
      const storedIds = new Set(stored.map((e) => e.id));
      const lost = seen.filter((m) => !storedIds.has(Number(m.id))).length;
      console.log(`kill -9 external: ${seen.length} events seen, ${lost} of them not stored`);
      // The follower's stream ends with that terminal event.
      const got = await followed;
      assert.match(got.at(-1)?.data ?? "", /"code":"interrupted"/);
    } finally {
      await b?.close();
      await a.close();
      await llm.close();
      await db.close();
    }
  },
);

Deno.test("kill -9, embedded: the next start ends the run with a terminal event", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "glassbox-kill-" });
  const env = { GLASSBOX_DATA: dataDir, GLASSBOX_DEMO_DELAY_MS: "200" };
  const a = await spawnGlassbox(env);
  let b: Awaited<ReturnType<typeof spawnGlassbox>> | undefined;
  try {
    const { runId, reader } = await runAndRead(a.url, 5);
    a.kill("SIGKILL");
    await a.status;
    void (async () => {
      for await (const _ of reader);
    })().catch(() => {});
    b = await spawnGlassbox(env);
    const run = await (await fetch(`${b.url}/api/v1/runs/${runId}`)).json();
    assert.equal(run.status, "interrupted");
    assert.equal(run.error, LOST_INSTANCE_REASON);
    const events = await allMessages((await fetch(`${b.url}/api/v1/runs/${runId}/events`)).body!);
    assert.match(events.at(-1)?.data ?? "", /"code":"interrupted"/, "the stream ends");
  } finally {
    await b?.close();
    await a.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
