/**
 * A 30-second database outage while a run streams (issue 7, "faults to survive"): the TCP proxy
 * between Glassbox and the test Postgres is cut for 30 s, from just after the run started. The
 * run goes on — four LLM calls, a sub-agent and a tool — and its streams go on from memory: a
 * follower sees every event to the end, and a viewer who joins during the outage gets the whole
 * run. The run waits (status running, recording) until the database is back; then every event is
 * stored gap-free, every LLM call is recorded, and the run is succeeded. Prints the figures.
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { followChat, startGlassbox } from "./support/server.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { startTcpProxy } from "./support/tcp_proxy.ts";
import { allMessages } from "./support/sse_client.ts";
import { waitFor } from "./support/wait.ts";
import { EventType } from "../agents/spine/events.ts";

const ignore = await skipWithoutPostgres();
const OUTAGE_MS = 30_000;

Deno.test({ name: "db outage: 30 s away while a run streams", ignore }, async () => {
  const db = await freshPostgres();
  const proxy = startTcpProxy();
  const usage = { prompt_tokens: 10, completion_tokens: 5 };
  const llm = startScriptedLlm([
    {
      kind: "tool_calls",
      calls: [{ id: "a1", name: "ask_utility", argFragments: ['{"task":', '"the time"}'] }],
      delayMs: 100,
      usage,
    },
    {
      kind: "tool_calls",
      calls: [{ id: "c1", name: "clock", argFragments: ['{"timezone":"UTC"}'] }],
      delayMs: 100,
      usage,
    },
    { kind: "text", chunks: ["It is ", "noon."], delayMs: 100, usage },
    // The answer streams for ~15 s, all of it while the database is away.
    { kind: "text", chunks: Array.from({ length: 150 }, (_, i) => `w${i} `), delayMs: 100, usage },
  ]);
  const gb = await startGlassbox({
    DATABASE_URL: proxy.via(db.url),
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "test",
    GLASSBOX_MODEL: "gpt-4o-mini",
    // Longer than the outage: past its lease an instance stops its runs (lease_fence_test.ts).
    GLASSBOX_INSTANCE_LEASE_MS: "60000",
  });
  try {
    const { runs } = gb.glassbox.deps;
    const { runId, journal, followed } = await followChat(gb, "What time is it?");
    await waitFor(() => journal.events.length > 0, "the run's first event");
    proxy.cut();
    const cutAt = performance.now();

    // Streams go on from memory: the follower's stream ends with the run's terminal event.
    const seen = await followed;
    const streamedFor = performance.now() - cutAt;
    const last = JSON.parse(seen.at(-1)!.data).event;
    assert.equal(last.type, EventType.RUN_FINISHED, JSON.stringify(last));
    assert.ok(streamedFor < OUTAGE_MS, `the run ended ${streamedFor} ms into the outage`);
    assert.ok(runs.isActive(runId), "recording: its events wait for the database");
    // A viewer joining now gets the whole run, from memory, and its stream ends.
    const late = await fetch(`${gb.url}/api/v1/runs/${runId}/events`, {
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(late.status, 200);
    const replay = await allMessages(late.body!);
    const ids = (ms: { id?: string }[]) => ms.filter((m) => m.id).map((m) => Number(m.id));
    assert.deepEqual(ids(replay), ids(seen));
    const health = await fetch(`${gb.url}/health`);
    assert.equal(health.status, 503, "/health tells the truth");
    await health.body?.cancel();

    // The outage lasts its 30 s (this wait is the fault's length, not a synchronisation).
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (performance.now() - cutAt))));
    proxy.restore();
    const restoredAt = performance.now();
    const outcome = await runs.whenDone(runId);
    const recovery = performance.now() - restoredAt;
    assert.equal(outcome?.status, "succeeded");
    assert.match(outcome?.status === "succeeded" ? outcome.answer : "", /^w0 w1 .* w149 $/);

    const stored = await db.sql`SELECT id, seq FROM events WHERE run_id = ${runId} ORDER BY seq`;
    assert.deepEqual(stored.map((r) => r.seq), stored.map((_, i) => i + 1), "seq gap-free");
    assert.deepEqual(stored.map((r) => r.id), ids(seen), "stored = streamed, every event");
    const calls = await db.sql`SELECT status FROM llm_calls WHERE run_id = ${runId}`;
    assert.deepEqual(calls.map((c) => c.status), ["ok", "ok", "ok", "ok"]);
    const [run] = await db.sql`SELECT status FROM runs WHERE id = ${runId}`;
    assert.equal(run.status, "succeeded");
    console.log(
      `30 s outage: run streamed ${Math.round(streamedFor)} ms into it (${seen.length} events, ` +
        `0 lost), all stored and status final ${Math.round(recovery)} ms after the database ` +
        `returned; ${calls.length} llm_calls rows`,
    );
  } finally {
    proxy.restore();
    await gb.close();
    await proxy.close();
    await llm.close();
    await db.close();
  }
});
