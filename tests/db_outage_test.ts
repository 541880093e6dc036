/**
 * The database goes away mid-run (a TCP proxy between Glassbox and the test Postgres is cut and
 * restored; the shared server is never touched). Issue 7: defect 13 (an LLM call that ends while
 * the database is away is recorded once it is back, and the run's outcome does not depend on it)
 * and defect 16 (requests get a 503 with Retry-After meanwhile; /health tells the truth).
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startGlassbox } from "./support/server.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { startTcpProxy } from "./support/tcp_proxy.ts";
import { waitFor } from "./support/wait.ts";
import { connectWs } from "./support/ws_client.ts";
import { allMessages } from "./support/sse_client.ts";
import { EventType } from "../agents/spine/events.ts";

const ignore = await skipWithoutPostgres();

async function outageStack(env: Record<string, string> = {}) {
  const db = await freshPostgres();
  const proxy = startTcpProxy();
  const llm = startScriptedLlm();
  const gb = await startGlassbox({
    DATABASE_URL: proxy.via(db.url),
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "test",
    GLASSBOX_MODEL: "gpt-4o-mini",
    ...env,
  });
  return {
    db,
    proxy,
    llm,
    gb,
    async close() {
      proxy.restore();
      await gb.close();
      await proxy.close();
      await llm.close();
      await db.close();
    },
  };
}

/** A chat whose one model call is held until `answer()`; returns once the call reached the model. */
async function heldChat(s: Awaited<ReturnType<typeof outageStack>>, chunks: string[]) {
  let answer!: () => void;
  s.llm.push({ kind: "text", chunks, hold: new Promise<void>((r) => answer = r) });
  const reply = fetch(`${s.gb.url}/api/v1/chat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ message: "Are you there?" }),
    signal: AbortSignal.timeout(60_000),
  });
  await waitFor(() => s.llm.requests.length === 1, "the model call");
  const journal = [...s.gb.glassbox.deps.journals.all()][0];
  return { answer, reply, journal };
}

Deno.test(
  { name: "db outage: an LLM call that ends while the database is away is kept", ignore },
  async () => {
    const s = await outageStack();
    try {
      const { answer, reply, journal } = await heldChat(s, ["All ", "good."]);
      s.proxy.cut();
      answer();
      await waitFor(() => journal.ended, "the run's terminal event");
      const terminal = journal.events.at(-1)!.event;
      assert.equal(terminal.type, EventType.RUN_FINISHED, JSON.stringify(terminal));

      // While it is away: 503s with Retry-After (JSON for the API, a page for browsers), and
      // /health says so; each answered within a bound, not left hanging.
      const t0 = performance.now();
      const api = await fetch(`${s.gb.url}/api/v1/runs/${journal.runId}`, {
        signal: AbortSignal.timeout(20_000),
      });
      assert.equal(api.status, 503);
      assert.equal(api.headers.get("retry-after"), "5");
      assert.equal((await api.json()).error.code, "database_unavailable");
      const page = await fetch(`${s.gb.url}/calls`, { signal: AbortSignal.timeout(20_000) });
      assert.equal(page.status, 503);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      assert.match(await page.text(), /database is unreachable/);
      const down = await fetch(`${s.gb.url}/health`, { signal: AbortSignal.timeout(20_000) });
      assert.equal(down.status, 503);
      assert.equal((await down.json()).status, "down");
      console.log(`outage: three requests answered in ${Math.round(performance.now() - t0)} ms`);
      s.proxy.restore();
      const t1 = performance.now();
      await waitFor(async () => (await fetch(`${s.gb.url}/health`)).status === 200, "recovery");
      console.log(
        `outage: /health ok again ${Math.round(performance.now() - t1)} ms after restore`,
      );
      const body = await (await reply).json();
      assert.equal(body.status, "succeeded", JSON.stringify(body));
      assert.equal(body.answer, "All good.");
      const calls = await s.db.sql`SELECT status FROM llm_calls WHERE run_id = ${journal.runId}`;
      assert.deepEqual(calls.map((c) => c.status), ["ok"]);
      const [run] = await s.db.sql`SELECT status FROM runs WHERE id = ${journal.runId}`;
      assert.equal(run.status, "succeeded");
      const messages = await s.db.sql`
        SELECT content FROM messages WHERE run_id = ${journal.runId} AND role = 'assistant'`;
      assert.deepEqual(messages.map((m) => m.content), ["All good."], "the answer is kept too");
    } finally {
      await s.close();
    }
  },
);

Deno.test(
  {
    name: "db outage: a database that accepts and then stalls or closes: every answer is bounded",
    ignore,
  },
  async () => {
    const REQUEST_TIMEOUT_MS = 2000;
    const s = await outageStack({ GLASSBOX_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
    try {
      const bound = REQUEST_TIMEOUT_MS + 1500;
      let lateRuns = 0;
      let longest = 0;
      const timed = async (what: string, request: () => Promise<Response>) => {
        const t0 = performance.now();
        const res = await request();
        const ms = performance.now() - t0;
        longest = Math.max(longest, ms);
        assert.ok(ms < bound, `${what}: answered after ${Math.round(ms)} ms (bound ${bound})`);
        assert.equal(res.status, 503, `${what}: ${res.status}`);
        return res;
      };
      const probe = async (fault: string) => {
        const signal = () => AbortSignal.timeout(30_000);
        const ws = await connectWs(s.gb.url);
        try {
          const t0 = performance.now();
          ws.send({ type: "chat", message: "Anyone there?" });
          ws.send({ type: "subscribe", run_id: crypto.randomUUID() });
          const [health, api, page, chat, wsError, wsError2] = await Promise.all([
            timed(`${fault}: /health`, () => fetch(`${s.gb.url}/health`, { signal: signal() })),
            timed(
              `${fault}: API read`,
              () => fetch(`${s.gb.url}/api/v1/runs/${crypto.randomUUID()}`, { signal: signal() }),
            ),
            timed(`${fault}: page`, () => fetch(`${s.gb.url}/calls`, { signal: signal() })),
            timed(`${fault}: run start`, () =>
              fetch(`${s.gb.url}/api/v1/chat`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ message: "Anyone there?" }),
                signal: signal(),
              })),
            ...[0, 1].map(() =>
              ws.next((m) => m.type === "error", bound).then((m) => {
                longest = Math.max(longest, performance.now() - t0);
                return m;
              })
            ),
          ]);
          assert.equal((await health.json()).status, "down");
          assert.equal(api.headers.get("retry-after"), "5");
          assert.equal((await api.json()).error.code, "database_unavailable");
          assert.match(page.headers.get("content-type") ?? "", /text\/html/);
          assert.match(await page.text(), /database is unreachable/);
          assert.equal((await chat.json()).error.code, "database_unavailable");
          assert.equal(wsError.code, "database_unavailable", "a WebSocket run start");
          assert.equal(wsError2.code, "database_unavailable", "a WebSocket subscribe");
        } finally {
          await ws.close();
        }
      };
      const recover = async (fault: string) => {
        s.proxy.restore();
        const t0 = performance.now();
        await waitFor(
          async () => (await fetch(`${s.gb.url}/health`)).status === 200,
          `${fault}: recovery`,
          20_000,
        );
        console.log(
          `${fault}: longest answer ${Math.round(longest)} ms; /health ok ` +
            `${Math.round(performance.now() - t0)} ms after restore`,
        );
        // Starts the database took after they were refused were ended at once, not left running.
        const { runs } = s.gb.glassbox.deps;
        await waitFor(
          async () => {
            if (runs.startingRuns > 0 || runs.activeRuns > 0) return false;
            const [r] = await s.db
              .sql`SELECT count(*)::int AS n FROM runs WHERE status = 'running'`;
            return r.n === 0;
          },
          `${fault}: refused starts taken late to end`,
          20_000,
        );
        const late = await s.db.sql`
          SELECT r.status, (SELECT payload->>'type' FROM events e WHERE e.run_id = r.id
            ORDER BY seq DESC LIMIT 1) AS last FROM runs r`;
        for (const r of late) {
          assert.ok(["RUN_FINISHED", "RUN_ERROR"].includes(r.last), JSON.stringify(r));
        }
        lateRuns = late.length;
        longest = 0;
      };
      s.proxy.stall();
      await probe("stall");
      await recover("stall");
      s.proxy.acceptThenClose();
      await probe("accept-then-close");
      await recover("accept-then-close");
      // The whole pool is usable again: many reads at once, and a run from start to end.
      const t0 = performance.now();
      const reads = await Promise.all(
        Array.from(
          { length: 30 },
          () => fetch(`${s.gb.url}/api/v1/conversations`, { signal: AbortSignal.timeout(5000) }),
        ),
      );
      assert.deepEqual([...new Set(reads.map((r) => r.status))], [200]);
      console.log(`30 reads after recovery: ${Math.round(performance.now() - t0)} ms`);
      await Promise.all(reads.map((r) => r.body?.cancel()));
      s.llm.push({ kind: "text", chunks: ["Back."] });
      const run = await fetch(`${s.gb.url}/api/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "Back?" }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = await run.json();
      assert.equal(body.status, "succeeded", JSON.stringify(body));
      console.log(`refused starts the database took late, then ended at once: ${lateRuns}`);
    } finally {
      await s.close();
    }
  },
);

Deno.test(
  { name: "db outage: at the writer's bound runs stop, new ones get 503, nothing is lost", ignore },
  async () => {
    const MAX = 60;
    const s = await outageStack({ GLASSBOX_WRITER_MAX_PENDING: String(MAX) });
    try {
      const { journals, runs } = s.gb.glassbox.deps;
      s.llm.push({ kind: "slow", chunks: Array(5000).fill("x "), delayMs: 2 });
      const res = await fetch(`${s.gb.url}/api/v1/chat/stream`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "Talk for a long time" }),
      });
      const runId = res.headers.get("x-run-id")!;
      const streamed = allMessages(res.body!);
      const journal = journals.get(runId)!;
      await waitFor(
        () => journal.events.some((e) => e.event.type === EventType.TEXT_MESSAGE_CONTENT),
        "the answer to stream",
      );
      s.proxy.cut();
      const t0 = performance.now();
      // At the bound the run stops, with its terminal event, while the database is still away.
      await waitFor(() => journal.ended, "the run to stop at the bound", 20_000);
      const terminal = journal.events.at(-1)!.event as { type: string; code?: string };
      assert.equal(terminal.type, EventType.RUN_ERROR);
      assert.equal(terminal.code, "storage_unavailable");
      // The writers' own failures belong to no run (their timers were started inside one).
      const misfiled = journal.events.filter((e) =>
        /Storing .* failed/.test(JSON.stringify(e.event))
      );
      assert.deepEqual(misfiled.map((e) => e.event), [], "writer errors logged into the run");
      const held = journals.backlog.pending;
      assert.ok(held >= MAX, `held ${held}`);
      console.log(
        `bound ${MAX}: run stopped ${Math.round(performance.now() - t0)} ms after the cut, ` +
          `${held} events held, ${journal.events.length} in the run`,
      );
      const refused = await fetch(`${s.gb.url}/api/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "Another" }),
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "5");
      const why = (await refused.json()).error;
      assert.equal(why.code, "unavailable");
      assert.match(why.message, /events wait to be stored/);

      s.proxy.restore();
      const t1 = performance.now();
      const outcome = await runs.whenDone(runId);
      assert.equal(outcome?.status, "failed");
      console.log(
        `bound: everything stored ${Math.round(performance.now() - t1)} ms after restore`,
      );
      // Every accepted event is stored, gap-free, and is what the stream showed; the stream ended.
      const seen = (await streamed).filter((m) => m.id).map((m) => Number(m.id));
      const stored = await s.db
        .sql`SELECT id, seq FROM events WHERE run_id = ${runId} ORDER BY seq`;
      assert.deepEqual(stored.map((r) => r.seq), stored.map((_, i) => i + 1), "seq gap-free");
      assert.deepEqual(stored.map((r) => r.id), journal.events.map((e) => e.id));
      assert.deepEqual(seen, journal.events.map((e) => e.id), "the stream showed every event");
      const [run] = await s.db.sql`SELECT status, error FROM runs WHERE id = ${runId}`;
      assert.equal(run.status, "failed");
      assert.match(run.error, /unreachable for too long/);
      const calls = await s.db.sql`SELECT status FROM llm_calls WHERE run_id = ${runId}`;
      assert.deepEqual(calls.map((c) => c.status), ["cancelled"]);
      // Below the bound again: runs start.
      s.llm.push({ kind: "text", chunks: ["Back."] });
      const next = await fetch(`${s.gb.url}/api/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "Back?" }),
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal((await next.json()).status, "succeeded");
    } finally {
      await s.close();
    }
  },
);

Deno.test(
  {
    name: "db outage: the database's host vanishes: writes are retried on new connections",
    ignore,
  },
  async () => {
    const s = await outageStack({
      GLASSBOX_DB_WRITE_TIMEOUT_MS: "2000",
      GLASSBOX_REQUEST_TIMEOUT_MS: "2000",
    });
    try {
      const { answer, reply, journal } = await heldChat(s, ["Still ", "here."]);
      // Every open connection goes silent for good: no error, no close, ever.
      s.proxy.blackhole();
      answer();
      await waitFor(() => journal.ended, "the run's terminal event");
      // The host is reachable again, but the connections it had are dead: only new ones work.
      s.proxy.restore();
      const t0 = performance.now();
      const body = await (await reply).json();
      const recovery = performance.now() - t0;
      assert.equal(body.status, "succeeded", JSON.stringify(body));
      const stored = await s.db.sql`
        SELECT id, seq FROM events WHERE run_id = ${journal.runId} ORDER BY seq`;
      assert.deepEqual(stored.map((r) => r.seq), stored.map((_, i) => i + 1), "seq gap-free");
      assert.deepEqual(stored.map((r) => r.id), journal.events.map((e) => e.id));
      const calls = await s.db.sql`SELECT status FROM llm_calls WHERE run_id = ${journal.runId}`;
      assert.deepEqual(calls.map((c) => c.status), ["ok"]);
      console.log(`host vanished: run stored whole ${Math.round(recovery)} ms after it was back`);
    } finally {
      await s.close();
    }
  },
);
