/**
 * A Postgres restart mid-run (issue 7, "faults to survive"): a cluster of the test's own
 * (tests/support/pg_cluster.ts) is restarted with `pg_ctl restart -m fast` while a run streams its
 * answer. Every connection is dropped (57P01); the run goes on from memory, its writes are retried
 * on new connections, and then every event is stored gap-free, every LLM call is recorded and the
 * run succeeds; requests meanwhile are answered (200 or 503) within a bound, and a new run works
 * after. Prints the figures.
 */
import assert from "node:assert/strict";
import { pgClusterAvailable, startPgCluster } from "./support/pg_cluster.ts";
import { followChat, startGlassbox } from "./support/server.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { waitFor } from "./support/wait.ts";
import { EventType } from "../agents/spine/events.ts";

const ignore = !(await pgClusterAvailable());

Deno.test({ name: "postgres restart mid-run: nothing lost, connection back", ignore }, async () => {
  const pg = await startPgCluster();
  const usage = { prompt_tokens: 10, completion_tokens: 5 };
  const llm = startScriptedLlm([
    {
      kind: "tool_calls",
      calls: [{ id: "a1", name: "ask_utility", argFragments: ['{"task":"the time"}'] }],
      usage,
    },
    {
      kind: "tool_calls",
      calls: [{ id: "c1", name: "clock", argFragments: ['{"timezone":"UTC"}'] }],
      usage,
    },
    { kind: "text", chunks: ["It is ", "noon."], usage },
    { kind: "text", chunks: Array.from({ length: 60 }, (_, i) => `w${i} `), delayMs: 100, usage },
  ]);
  const gb = await startGlassbox({
    DATABASE_URL: pg.url,
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "test",
    GLASSBOX_MODEL: "gpt-4o-mini",
  });
  const probes: { ms: number; status: number | string }[] = [];
  let probing = true;
  const probe = async () => {
    while (probing) {
      for (const path of ["/health", "/api/v1/conversations"]) {
        const t0 = performance.now();
        const status = await fetch(`${gb.url}${path}`, { signal: AbortSignal.timeout(20_000) })
          .then(async (r) => (await r.body?.cancel(), r.status), (e) => String(e).slice(0, 40));
        probes.push({ ms: performance.now() - t0, status });
      }
      await new Promise((r) => setTimeout(r, 100)); // the probes' pace, not a synchronisation
    }
  };
  let probing$: Promise<void> = Promise.resolve();
  try {
    const { runs } = gb.glassbox.deps;
    const { runId, journal, followed } = await followChat(gb, "What time is it?");
    // Restart while the answer streams (its 60 deltas take ~6 s).
    await waitFor(
      () =>
        journal.events.filter((e) => e.event.type === EventType.TEXT_MESSAGE_CONTENT).length > 5,
      "the answer to stream",
    );
    probing$ = probe();
    const t0 = performance.now();
    await pg.restart();
    const restartMs = performance.now() - t0;
    const seen = await followed;
    const outcome = await runs.whenDone(runId);
    const doneMs = performance.now() - t0;
    probing = false;
    await probing$;
    assert.equal(outcome?.status, "succeeded");

    const ids = seen.filter((m) => m.id).map((m) => Number(m.id));
    const stored = await gb.glassbox.deps.db.sql`
      SELECT id, seq FROM events WHERE run_id = ${runId} ORDER BY seq`;
    assert.deepEqual(stored.map((r) => r.seq), stored.map((_, i) => i + 1), "seq gap-free");
    assert.deepEqual(stored.map((r) => r.id), ids, "stored = streamed, every event");
    assert.equal(JSON.parse(seen.at(-1)!.data).event.type, EventType.RUN_FINISHED);
    const calls = await gb.glassbox.deps.db.sql`
      SELECT status FROM llm_calls WHERE run_id = ${runId}`;
    assert.deepEqual(calls.map((c) => c.status), ["ok", "ok", "ok", "ok"]);
    const [run] = await gb.glassbox.deps.db.sql`SELECT status FROM runs WHERE id = ${runId}`;
    assert.equal(run.status, "succeeded");

    // Requests during the restart: answered, 200 or 503, never hanging.
    const longest = Math.max(...probes.map((p) => p.ms));
    const odd = probes.filter((p) => p.status !== 200 && p.status !== 503);
    assert.deepEqual(odd, [], "only 200s and 503s");
    assert.ok(longest < 11_000, `longest request ${Math.round(longest)} ms`);
    // The connection is back: health, and a new run from start to end.
    const health = await fetch(`${gb.url}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    llm.push({ kind: "text", chunks: ["Back."] });
    const next = await fetch(`${gb.url}/api/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "Back?" }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal((await next.json()).status, "succeeded");
    const n503 = probes.filter((p) => p.status === 503).length;
    console.log(
      `postgres restart: ${Math.round(restartMs)} ms; run stored whole (${ids.length} events, ` +
        `0 lost) ${Math.round(doneMs)} ms after the restart began; ${probes.length} requests ` +
        `meanwhile, ${n503} answered 503, longest ${Math.round(longest)} ms`,
    );
  } finally {
    probing = false;
    await probing$.catch(() => {});
    await gb.close();
    await llm.close();
    await pg.close();
  }
});
