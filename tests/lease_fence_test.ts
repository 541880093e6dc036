/**
 * Split brain (issue 7): instance A loses the database past its lease while instance B reaches
 * it. B takes A's run over (interrupted, a stored terminal event); A must fence itself: its run
 * ends in A's journal with RUN_ERROR lease_lost (A's viewer's stream ends), its model call is
 * cancelled, new runs on A are refused (503, Retry-After) until A renews its lease, and once the
 * database is back A's writer stores nothing of that run at or after B's terminal event — the
 * stored stream stays gap-free with exactly one terminal event, last.
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { followChat, startGlassbox } from "./support/server.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { startTcpProxy } from "./support/tcp_proxy.ts";
import { gatewayStack } from "./support/gateway.ts";
import { waitFor } from "./support/wait.ts";
import { EventType } from "../agents/spine/events.ts";

const ignore = await skipWithoutPostgres();
const LEASE_MS = 2000;

Deno.test({ name: "lease fence: a cut-off instance stops its runs itself", ignore }, async () => {
  const db = await freshPostgres();
  const proxy = startTcpProxy();
  const llm = startScriptedLlm([
    // Streams for ~12 s: well past the lease, so A's run is mid-answer when B takes it over.
    { kind: "slow", chunks: Array.from({ length: 120 }, (_, i) => `w${i} `), delayMs: 100 },
  ]);
  const env = {
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "test",
    GLASSBOX_MODEL: "gpt-4o-mini",
    GLASSBOX_INSTANCE_LEASE_MS: String(LEASE_MS),
  };
  const logs: string[] = [];
  const a = await startGlassbox({ ...env, DATABASE_URL: proxy.via(db.url) }, { logs });
  // Logging is per process: the last one set up (B's) takes both instances' records.
  const b = await startGlassbox({ ...env, DATABASE_URL: db.url }, { logs });
  try {
    const { status, runId, journal, followed } = await followChat(a, "Tell me a long story");
    assert.equal(status, 200);
    await waitFor(() => llm.requests.length === 1, "the model call");
    await waitFor(() => journal.events.length > 3, "the answer streaming");
    // Let what A has so far reach the database, so B's terminal seq follows stored events.
    await waitFor(
      async () => (await db.sql`SELECT 1 FROM events WHERE run_id = ${runId}`).length > 0,
      "A's first events stored",
    );
    proxy.cut();
    const cutAt = performance.now();

    // B takes the run over: interrupted, with its terminal event stored.
    const [takeover] = await waitFor(async () => {
      const rows = await db.sql`
        SELECT e.seq, e.payload->>'code' AS code FROM events e JOIN runs r ON r.id = e.run_id
        WHERE e.run_id = ${runId} AND r.status = 'interrupted' AND e.type = 'RUN_ERROR'`;
      return rows.length > 0 && rows;
    }, "B marking A's run interrupted");
    assert.equal(takeover.code, "interrupted");
    const takenOverAfter = performance.now() - cutAt;

    // A's viewer's stream ends, from A itself, with lease_lost — not with the answer.
    const seen = await followed;
    const last = JSON.parse(seen.at(-1)!.data).event;
    assert.equal(last.type, EventType.RUN_ERROR, JSON.stringify(last));
    assert.equal(last.code, "lease_lost");

    // While its lease is lost, A refuses new runs at once.
    const refused = await fetch(`${a.url}/api/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "Are you there?" }),
      signal: AbortSignal.timeout(3000),
    });
    assert.equal(refused.status, 503);
    assert.ok(refused.headers.get("retry-after"));
    assert.match((await refused.json()).error.message, /lease/);

    proxy.restore();
    const restoredAt = performance.now();
    const outcome = await a.glassbox.deps.runs.whenDone(runId);
    assert.ok(outcome, "A's run still recording when the database returned");
    const recordedIn = performance.now() - restoredAt;

    const stored = await db.sql`
      SELECT seq, type, payload->>'code' AS code FROM events WHERE run_id = ${runId} ORDER BY seq`;
    assert.deepEqual(stored.map((r) => r.seq), stored.map((_, i) => i + 1), "seq gap-free");
    const terminals = stored.filter((r) => r.type === "RUN_ERROR" || r.type === "RUN_FINISHED");
    assert.equal(terminals.length, 1, JSON.stringify(terminals));
    assert.equal(stored.at(-1)!.seq, terminals[0].seq, "the terminal event is last");
    assert.equal(terminals[0].code, "interrupted", "B's terminal event");
    const [run] = await db.sql`SELECT status FROM runs WHERE id = ${runId}`;
    assert.equal(run.status, "interrupted");
    const dropped = journal.events.length - (takeover.seq - 1);
    assert.ok(
      dropped > 0,
      `A had ${journal.events.length} events, B's terminal is seq ${takeover.seq}`,
    );
    assert.ok(logs.some((l) => l.includes("dropped") && l.includes(runId)), "the drop is logged");
    const { body } = await a.glassbox.deps.metrics.scrape();
    assert.match(body, new RegExp(`^glassbox_events_dropped_total ${dropped}$`, "m"));
    // The model call A cancelled is recorded as cancelled.
    const calls = await waitFor(async () => {
      const rows = await db.sql`SELECT status FROM llm_calls WHERE run_id = ${runId}`;
      return rows.length > 0 && rows;
    }, "A's model call recorded");
    assert.deepEqual(calls.map((c) => c.status), ["cancelled"]);

    // Once A renews its lease, it takes runs again.
    llm.push({ kind: "text", chunks: ["Yes."] });
    const again = await waitFor(async () => {
      const r = await fetch(`${a.url}/api/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "Are you there now?" }),
      });
      if (r.status === 200) return r;
      await r.body?.cancel();
      return null;
    }, "A taking runs again");
    await again.body?.cancel();
    console.log(
      `lease ${LEASE_MS} ms: B took over ${Math.round(takenOverAfter)} ms after the cut; A's ` +
        `stream ended with lease_lost; ${dropped} of A's events dropped; recorded ` +
        `${Math.round(recordedIn)} ms after the database returned`,
    );
  } finally {
    proxy.restore();
    await a.close();
    await b.close();
    await proxy.close();
    await llm.close();
    await db.close();
  }
});

Deno.test(
  { name: "lease fence: a run nobody took over is stored whole, its own end last", ignore },
  async () => {
    const db = await freshPostgres();
    const proxy = startTcpProxy();
    const llm = startScriptedLlm([
      { kind: "slow", chunks: Array.from({ length: 120 }, (_, i) => `w${i} `), delayMs: 100 },
    ]);
    const a = await startGlassbox({
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: "test",
      GLASSBOX_MODEL: "gpt-4o-mini",
      GLASSBOX_INSTANCE_LEASE_MS: String(LEASE_MS),
      DATABASE_URL: proxy.via(db.url),
    });
    try {
      const { runId, journal, followed } = await followChat(a, "Tell me a long story");
      await waitFor(() => llm.requests.length === 1, "the model call");
      await waitFor(() => journal.events.length > 3, "the answer streaming");
      proxy.cut();
      const seen = await followed;
      const last = JSON.parse(seen.at(-1)!.data).event;
      assert.equal(last.code, "lease_lost", JSON.stringify(last));
      proxy.restore();
      await a.glassbox.deps.runs.whenDone(runId);

      // No other instance: nothing was taken over, so every event of A's is stored.
      const stored = await db.sql`SELECT id, seq, type FROM events WHERE run_id = ${runId}
        ORDER BY seq`;
      assert.deepEqual(stored.map((r) => Number(r.id)), journal.events.map((e) => e.id));
      assert.equal(stored.at(-1)!.type, "RUN_ERROR");
      const [run] = await db.sql`SELECT status FROM runs WHERE id = ${runId}`;
      assert.equal(run.status, "interrupted");
      const { body } = await a.glassbox.deps.metrics.scrape();
      assert.match(body, /^glassbox_events_dropped_total 0$/m);
    } finally {
      proxy.restore();
      await a.close();
      await proxy.close();
      await llm.close();
      await db.close();
    }
  },
);

Deno.test(
  { name: "lease fence: a cut-off instance stops its gateway sessions too", ignore },
  async () => {
    const proxy = startTcpProxy();
    // Disposed after the stack (declared first): Glassbox closes while the database is reachable.
    await using _proxy = { [Symbol.asyncDispose]: () => proxy.close() };
    await using s = await gatewayStack(
      { GLASSBOX_INSTANCE_LEASE_MS: String(LEASE_MS) },
      [{ kind: "stall", afterChunks: ["Hel"] }],
      { databaseUrl: (url) => proxy.via(url) },
    );
    const client = s.openai({ "x-glassbox-session": "fenced" });
    const { data: stream, response } = await client.chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "go on" }],
      stream: true,
    }).withResponse();
    const runId = response.headers.get("x-glassbox-run-id")!;
    const it = stream[Symbol.asyncIterator]();
    let text = "";
    while (!text) text = (await it.next()).value?.choices[0]?.delta.content ?? "";
    assert.equal(text, "Hel");
    const journal = s.gb.glassbox.deps.journals.get(runId)!;
    await waitFor(
      async () => (await s.db.sql`SELECT 1 FROM events WHERE run_id = ${runId}`).length > 0,
      "the session's first events stored",
    );
    proxy.cut();
    // The upstream stalls for ever: only the fence ends the call and the session's run.
    const ended = (async () => {
      for (;;) if ((await it.next()).done) return "ended";
    })().catch((err) => err);
    await waitFor(() => journal.ended, "the session's run ended on the cut-off instance", 15_000);
    assert.ok(await ended, "the client's stream ended");
    proxy.restore();
    const [run] = await waitFor(
      async () => {
        const rows = await s.db.sql`SELECT status FROM runs WHERE id = ${runId}
        AND status <> 'running'`;
        return rows.length > 0 ? rows : null;
      },
      "the session's run final",
      20_000,
    );
    assert.equal(run.status, "cancelled");
    await waitFor(() => s.gb.glassbox.deps.journals.get(runId) === undefined, "stored whole");
    const stored = await s.db.sql`
      SELECT seq, type FROM events WHERE run_id = ${runId} ORDER BY seq`;
    assert.deepEqual(stored.map((r) => r.seq), stored.map((_, i) => i + 1), "seq gap-free");
    const terminals = stored.filter((r) => r.type === "RUN_ERROR" || r.type === "RUN_FINISHED");
    assert.equal(terminals.length, 1, JSON.stringify(terminals));
    assert.equal(stored.at(-1)!.seq, terminals[0].seq, "the terminal event is last");
    assert.deepEqual((await s.rows()).map((r) => r.status), ["cancelled"]);
    // Not a Stop by its user: the session's next call is served, in a new session run.
    s.llm.push({ kind: "text", chunks: ["again"] });
    const again = await client.chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "still there?" }],
    }).withResponse();
    assert.equal(again.data.choices[0].message.content, "again");
    assert.notEqual(again.response.headers.get("x-glassbox-run-id"), runId);
  },
);
