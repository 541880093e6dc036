/**
 * One run per conversation holds (defect 5 of issue 7): two messages to a conversation whose
 * previous run is still recording both waited for it and then both started a run (the check came
 * before an await, the reservation after it). Real Postgres; the events table is locked to hold
 * the previous run in its recording phase while both messages wait.
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { postJson, startGlassbox, withDemoGlassbox } from "./support/server.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { allMessages } from "./support/sse_client.ts";
import { holdEventWriter } from "./support/hold_writer.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();

Deno.test({
  name: "runs: two messages waiting for a conversation's recording run start one run",
  ignore,
}, async () => {
  await withDemoGlassbox(async (gb) => {
    const { runs, db } = gb.glassbox.deps;
    const held = await holdEventWriter(gb);
    let answers: Response[];
    let conversationId: string;
    try {
      const first = await postJson(`${gb.url}/api/v1/chat/stream`, { message: "What is 1 + 1?" });
      conversationId = first.headers.get("x-conversation-id")!;
      await allMessages(first.body!); // ended; its events cannot be stored yet
      const next = ["What is 2 + 2?", "What is 3 + 3?"].map((message) =>
        postJson(`${gb.url}/api/v1/chat`, { message, conversation_id: conversationId })
      );
      await waitFor(() => runs.waitingStarts === 2, "both messages to wait for the first run");
      await held.release();
      answers = await Promise.all(next);
    } finally {
      await held.release().catch(() => {});
    }
    const statuses = answers.map((r) => r.status).sort();
    const bodies = await Promise.all(answers.map((r) => r.json()));
    assert.deepEqual(statuses, [200, 409], JSON.stringify(bodies));
    assert.equal(bodies.find((b) => b.error)?.error.code, "conflict");
    const rows = await db.sql`SELECT id FROM runs WHERE conversation_id = ${conversationId}`;
    assert.equal(rows.length, 2, "the first run and one more");
  });
});

Deno.test({
  name: "runs: a second instance sharing the database cannot start a run in a busy conversation",
  ignore,
}, async () => {
  const db = await freshPostgres();
  const llm = startScriptedLlm();
  const env = {
    DATABASE_URL: db.url,
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "test",
    GLASSBOX_MODEL: "gpt-4o-mini",
  };
  const one = await startGlassbox(env);
  const two = await startGlassbox(env);
  try {
    let answer!: () => void;
    llm.push({ kind: "text", chunks: ["First."], hold: new Promise<void>((r) => answer = r) });
    const first = await postJson(`${one.url}/api/v1/chat/stream`, { message: "One" });
    const conversationId = first.headers.get("x-conversation-id")!;
    await waitFor(() => llm.requests.length === 1, "the first run's model call");

    // The other instance has no run of it in memory: the database refuses, a 409 as here.
    const refused = await postJson(`${two.url}/api/v1/chat`, {
      message: "Two",
      conversation_id: conversationId,
    });
    const body = await refused.json();
    assert.equal(refused.status, 409, JSON.stringify(body));
    assert.equal(body.error.code, "conflict");
    assert.match(body.error.message, /already has a run in progress/);
    const messages = await db.sql`
      SELECT content FROM messages WHERE conversation_id = ${conversationId} ORDER BY created_at`;
    assert.deepEqual(messages.map((m) => m.content), ["One"], "nothing of the refused start");

    answer();
    await allMessages(first.body!);
    await waitFor(async () => {
      const [r] = await db.sql`SELECT count(*)::int AS n FROM runs
        WHERE conversation_id = ${conversationId} AND status = 'running'`;
      return r.n === 0;
    }, "the first run's final status");
    llm.push({ kind: "text", chunks: ["Second."] });
    const next = await postJson(`${two.url}/api/v1/chat`, {
      message: "Two",
      conversation_id: conversationId,
    });
    const done = await next.json();
    assert.equal(next.status, 200, JSON.stringify(done));
    assert.equal(done.status, "succeeded");
  } finally {
    await two.close();
    await one.close();
    await llm.close();
    await db.close();
  }
});
