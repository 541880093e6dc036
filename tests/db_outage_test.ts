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
import { EventType } from "../agents/spine/events.ts";

const ignore = await skipWithoutPostgres();

async function outageStack() {
  const db = await freshPostgres();
  const proxy = startTcpProxy();
  const llm = startScriptedLlm();
  const gb = await startGlassbox({
    DATABASE_URL: proxy.via(db.url),
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "test",
    GLASSBOX_MODEL: "gpt-4o-mini",
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

Deno.test(
  { name: "db outage: an LLM call that ends while the database is away is kept", ignore },
  async () => {
    const s = await outageStack();
    try {
      let answer!: () => void;
      s.llm.push({
        kind: "text",
        chunks: ["All ", "good."],
        hold: new Promise<void>((r) => answer = r),
      });
      const reply = fetch(`${s.gb.url}/api/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "Are you there?" }),
        signal: AbortSignal.timeout(60_000),
      });
      await waitFor(() => s.llm.requests.length === 1, "the model call");
      const journal = [...s.gb.glassbox.deps.journals.all()][0];
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
