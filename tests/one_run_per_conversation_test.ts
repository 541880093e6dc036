/**
 * One run per conversation holds (defect 5 of issue 7): two messages to a conversation whose
 * previous run is still recording both waited for it and then both started a run (the check came
 * before an await, the reservation after it). Real Postgres; the events table is locked to hold
 * the previous run in its recording phase while both messages wait.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { postJson, withDemoGlassbox } from "./support/server.ts";
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
