/**
 * SIGTERM during a run: the real server process interrupts the run, stores every event it had
 * accepted (and the interrupted LLM call), and exits cleanly.
 */
import assert from "node:assert/strict";
import { listEvents } from "../db/events.ts";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { postJson } from "./support/server.ts";
import { type SseMessage, sseMessages } from "./support/sse_client.ts";

const ignore = await skipWithoutPostgres();

Deno.test({ name: "shutdown: SIGTERM mid-run loses no accepted event", ignore }, async () => {
  const db = await freshPostgres();
  const llm = startScriptedLlm([{ kind: "slow", chunks: Array(300).fill("tick "), delayMs: 20 }]);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname],
    env: {
      DATABASE_URL: db.url,
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: "t",
      PORT: "0",
      HOST: "127.0.0.1",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let banner = "";
  try {
    while (!/localhost:(\d+)/.test(banner)) {
      const r = await stderr.read();
      if (r.done) throw new Error(`server exited early: ${banner}`);
      banner += r.value;
    }
    const port = banner.match(/localhost:(\d+)/)![1];
    const res = await postJson(`http://127.0.0.1:${port}/api/v1/chat/stream`, { message: "long" });
    const runId = res.headers.get("x-run-id")!;
    const seen: SseMessage[] = [];
    for await (const m of sseMessages(res.body!)) {
      seen.push(m);
      if (seen.length === 10) child.kill("SIGTERM");
    }
    const status = await child.status;
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
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await stderr.cancel().catch(() => {});
    await llm.close();
    await db.close();
  }
});
