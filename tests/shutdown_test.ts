/**
 * Shutdown of the real server process (issue 7, defect 3): SIGTERM during a run interrupts it,
 * stores every event it had accepted (and the interrupted LLM call) and exits cleanly; with the
 * database away the whole shutdown still ends by its deadline, with exit 1 and the count of what
 * could not be stored in the log; a second signal exits at once.
 */
import assert from "node:assert/strict";
import { listEvents } from "../db/events.ts";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { postJson } from "./support/server.ts";
import { type SseMessage, sseMessages } from "./support/sse_client.ts";
import { spawnGlassbox } from "./support/process.ts";
import { startTcpProxy } from "./support/tcp_proxy.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();

Deno.test({ name: "shutdown: SIGTERM mid-run loses no accepted event", ignore }, async () => {
  const db = await freshPostgres();
  const llm = startScriptedLlm([{ kind: "slow", chunks: Array(300).fill("tick "), delayMs: 20 }]);
  const gb = await spawnGlassbox({
    DATABASE_URL: db.url,
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "t",
  });
  try {
    const res = await postJson(`${gb.url}/api/v1/chat/stream`, { message: "long" });
    const runId = res.headers.get("x-run-id")!;
    const seen: SseMessage[] = [];
    for await (const m of sseMessages(res.body!)) {
      seen.push(m);
      if (seen.length === 10) gb.kill("SIGTERM");
    }
    const status = await gb.status;
    assert.equal(status.code, 0, "clean exit");

    const stored = await listEvents(db.sql, runId);
    assert.deepEqual(stored.map((e) => e.seq), stored.map((_, i) => i + 1), "gap-free");
    const storedIds = new Set(stored.map((e) => e.id));
    for (const m of seen) {
      assert.ok(storedIds.has(Number(m.id)), `event ${m.id} the client saw is stored`);
    }
    const last = stored.at(-1)!.event as { type: string; code?: string };
    assert.deepEqual([last.type, last.code], ["RUN_ERROR", "interrupted"]);
    const [run] = await db.sql`SELECT status FROM runs WHERE id = ${runId}`;
    assert.equal(run.status, "interrupted");
    const [call] = await db.sql`SELECT status FROM llm_calls WHERE run_id = ${runId}`;
    assert.equal(call.status, "cancelled");
  } finally {
    await gb.close();
    await llm.close();
    await db.close();
  }
});

/** A process mid-run whose database has just gone away (the proxy in between is cut). */
async function midRunWithoutDatabase(env: Record<string, string>) {
  const db = await freshPostgres();
  const proxy = startTcpProxy();
  const llm = startScriptedLlm([{ kind: "slow", chunks: Array(300).fill("tick "), delayMs: 20 }]);
  const gb = await spawnGlassbox({
    DATABASE_URL: proxy.via(db.url),
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "t",
    ...env,
  });
  const res = await postJson(`${gb.url}/api/v1/chat/stream`, { message: "long" });
  const reader = sseMessages(res.body!);
  for (let i = 0; i < 5; i++) await reader.next();
  proxy.cut();
  // Keep reading, so the stream is not what holds anything up.
  const drained = (async () => {
    for await (const _ of reader);
  })().catch(() => {});
  return {
    gb,
    close: async () => {
      await gb.close();
      await drained;
      await proxy.close();
      await llm.close();
      await db.close();
    },
  };
}

Deno.test(
  {
    name: "shutdown: with the database away it ends by its deadline, exit 1, count logged",
    ignore,
  },
  async () => {
    const s = await midRunWithoutDatabase({ GLASSBOX_SHUTDOWN_TIMEOUT_MS: "2000" });
    try {
      s.gb.kill("SIGTERM");
      // Bounded by the test, not by the process: without one deadline it never exits.
      const status = await Promise.race([
        s.gb.status,
        new Promise<null>((r) => setTimeout(() => r(null), 60_000)),
      ]);
      assert.ok(status, `still running a minute after SIGTERM:\n${s.gb.output()}`);
      assert.equal(status.code, 1, s.gb.output());
      const line = s.gb.output().match(
        /exiting with (\d+) accepted events and LLM calls not stored/,
      );
      assert.ok(line && Number(line[1]) > 0, s.gb.output());
      assert.match(s.gb.output(), /Shutdown deadline \(2000 ms\) passed: \d+ events/);
    } finally {
      await s.close();
    }
  },
);

Deno.test(
  { name: "shutdown: a second signal exits at once", ignore },
  async () => {
    const s = await midRunWithoutDatabase({ GLASSBOX_SHUTDOWN_TIMEOUT_MS: "600000" });
    try {
      s.gb.kill("SIGTERM");
      await waitFor(() => s.gb.output().includes("interrupting runs"), "the first signal's notice");
      s.gb.kill("SIGTERM");
      const status = await Promise.race([
        s.gb.status,
        new Promise<null>((r) => setTimeout(() => r(null), 30_000)),
      ]);
      assert.ok(status, `the second signal did not end it:\n${s.gb.output()}`);
      assert.equal(status.code, 1);
      assert.match(s.gb.output(), /second SIGTERM, exiting now/);
    } finally {
      await s.close();
    }
  },
);
