/**
 * The database goes away while gateway calls are in flight (a TCP proxy between Glassbox and
 * the test Postgres is cut; the shared server is never touched): the calls still complete for
 * the client — their llm_calls rows are queued on the same recorder as in-app calls, not
 * awaited — and the rows, then the session's final status, are stored once the database is back.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { gatewayStack } from "./support/gateway.ts";
import { startTcpProxy } from "./support/tcp_proxy.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();

Deno.test(
  { name: "gateway outage: calls that end while the database is away are kept", ignore },
  async () => {
    const proxy = startTcpProxy();
    // Disposed after the stack (reverse order): Glassbox closes while the proxy still forwards.
    await using _proxy = { [Symbol.asyncDispose]: () => proxy.close() };
    let release!: () => void;
    const hold = new Promise<void>((r) => release = r);
    await using s = await gatewayStack({ GLASSBOX_GATEWAY_SESSION_IDLE_MS: "500" }, [
      { kind: "text", chunks: ["Still ", "here."], hold },
      { kind: "text", chunks: ["Me ", "too."], hold },
    ], { databaseUrl: (url) => proxy.via(url) });
    try {
      const client = s.openai({ "x-glassbox-session": "outage" });
      const ask = { model: "gpt-test", messages: [{ role: "user" as const, content: "hi" }] };
      const streamed = (async () => {
        const stream = await client.chat.completions.create({ ...ask, stream: true });
        let text = "";
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
        return text;
      })();
      const whole = client.chat.completions.create(ask);
      await waitFor(() => s.llm.requests.length === 2, "both calls upstream");

      proxy.cut();
      release();
      // The client gets its answers while the database is away…
      const answers = [await streamed, (await whole).choices[0].message.content].sort();
      assert.deepEqual(answers, ["Me too.", "Still here."]);
      // …and nothing is stored yet (the test reads Postgres directly, not through the proxy).
      assert.equal((await s.db.sql`SELECT id FROM llm_calls`).length, 0);

      proxy.restore();
      const rows = await waitFor(
        async () => {
          const r = await s.rows();
          return r.length === 2 && r;
        },
        "both rows after the database is back",
        30_000,
      );
      assert.deepEqual(rows.map((r) => r.status), ["ok", "ok"]);
      assert.deepEqual(
        rows.map((r) => r.response).sort(),
        ["Me too.", "Still here."],
      );
      const runId = rows[0].run_id;
      assert.equal(rows[1].run_id, runId, "both calls are the session's");
      // The session ends after its idle time, its status written after its rows.
      await waitFor(
        async () =>
          (await s.db.sql`SELECT status FROM runs WHERE id = ${runId}`)[0]?.status ===
            "succeeded",
        "the session's final status",
        30_000,
      );
    } finally {
      proxy.restore();
    }
  },
);
