/**
 * Streams over real HTTP: resume with Last-Event-ID (while the run is live, and after it ended)
 * gets exactly the missing events; cancel stops the run and its in-flight LLM call; a stalled
 * model stream times out. Real Postgres, scripted model server.
 */
import assert from "node:assert/strict";
import { listEvents } from "../db/events.ts";
import { skipWithoutPostgres } from "./support/db.ts";
import { postJson, startStack } from "./support/server.ts";
import {
  allMessages,
  connectSse,
  type SseMessage,
  sseMessages,
  takeMessages,
} from "./support/sse_client.ts";

const ignore = await skipWithoutPostgres();
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i} `);

const setup = startStack;

const ids = (ms: SseMessage[]) => ms.map((m) => Number(m.id));
const typeOf = (m: SseMessage) => JSON.parse(m.data).event.type as string;

async function waitForEnd(url: string, runId: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const run = await (await fetch(`${url}/api/v1/runs/${runId}`)).json();
    if (run.status !== "running") return run.status;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("run did not end");
}

Deno.test({
  name: "resume: reconnecting with Last-Event-ID gets exactly the missing events",
  ignore,
}, async () => {
  const t = await setup();
  try {
    // 1) Disconnect mid-run, reconnect while the run is still live.
    t.llm.push({ kind: "slow", chunks: words(30), delayMs: 40 });
    const res = await postJson(`${t.gb.url}/api/v1/chat/stream`, { message: "count" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /text\/event-stream/);
    const runId = res.headers.get("x-run-id")!;
    const first = await takeMessages(res.body!, 8);
    assert.equal(first.length, 8);
    assert.equal(typeOf(first[0]), "RUN_STARTED");
    const rest = await allMessages(
      (await connectSse(`${t.gb.url}/api/v1/runs/${runId}/events`, {
        lastEventId: first.at(-1)!.id,
      })).body!,
    );
    assert.equal(typeOf(rest.at(-1)!), "RUN_FINISHED", "the stream ends after the terminal event");
    // The final status is written after the last event is stored.
    assert.equal(await waitForEnd(t.gb.url, runId), "succeeded");
    const stored = await listEvents(t.db.sql, runId);
    assert.deepEqual(
      [...ids(first), ...ids(rest)],
      stored.map((e) => e.id),
      "no gap, no duplicate",
    );
    assert.ok(
      rest.some((m) => typeOf(m) === "TEXT_MESSAGE_CONTENT"),
      "resumed while text was streaming",
    );

    // 2) Disconnect, let the run end, then resume from the database.
    t.llm.push({ kind: "slow", chunks: words(10), delayMs: 20 });
    const res2 = await postJson(`${t.gb.url}/api/v1/chat/stream`, { message: "again" });
    const runId2 = res2.headers.get("x-run-id")!;
    const head = await takeMessages(res2.body!, 5);
    assert.equal(await waitForEnd(t.gb.url, runId2), "succeeded");
    const tail = await allMessages(
      (await connectSse(`${t.gb.url}/api/v1/runs/${runId2}/events`, {
        lastEventId: head.at(-1)!.id,
      })).body!,
    );
    const stored2 = await listEvents(t.db.sql, runId2);
    assert.deepEqual([...ids(head), ...ids(tail)], stored2.map((e) => e.id));
    // The payload on the wire is what was stored.
    assert.deepEqual(JSON.parse(tail.at(-1)!.data).event, stored2.at(-1)!.event);

    // A whole replay from the start, and a bad Last-Event-ID.
    const all = await allMessages(
      (await connectSse(`${t.gb.url}/api/v1/runs/${runId2}/events`)).body!,
    );
    assert.deepEqual(ids(all), stored2.map((e) => e.id));
    const bad = await fetch(`${t.gb.url}/api/v1/runs/${runId2}/events`, {
      headers: { "last-event-id": "x" },
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test(
  { name: "cancel: stops the run and its in-flight LLM call; everything recorded", ignore },
  async () => {
    const t = await setup();
    try {
      t.llm.push({ kind: "slow", chunks: words(200), delayMs: 30 });
      const res = await postJson(`${t.gb.url}/api/v1/chat/stream`, { message: "go on forever" });
      const runId = res.headers.get("x-run-id")!;
      const seen: SseMessage[] = [];
      const reader = (async () => {
        for await (
          const m of sseMessages(res.body!)
        ) seen.push(m);
      })();
      while (!seen.some((m) => typeOf(m) === "TEXT_MESSAGE_CONTENT")) {
        await new Promise((r) => setTimeout(r, 10));
      }

      // One run at a time per conversation: a second turn while this one works is refused.
      const busy = await postJson(`${t.gb.url}/api/v1/chat`, {
        message: "me too",
        conversation_id: res.headers.get("x-conversation-id"),
      });
      assert.equal(busy.status, 409);
      assert.equal((await busy.json()).error.code, "conflict");

      const cancel = await fetch(`${t.gb.url}/api/v1/runs/${runId}/cancel`, { method: "POST" });
      assert.equal(cancel.status, 200);
      assert.deepEqual(await cancel.json(), { run_id: runId, status: "cancelled" });
      await reader; // the stream ends by itself after the terminal event
      const last = JSON.parse(seen.at(-1)!.data).event;
      assert.equal(last.type, "RUN_FINISHED");
      assert.deepEqual(last.outcome, { type: "cancelled" });
      // The cut-off call reported no usage: the run's tokens are unknown, not a made-up 0.
      assert.equal(last.result.inputTokens, null);
      assert.equal(last.result.costUsd, null);
      // The open text message was closed before the end, so the AG-UI stream stays valid.
      const types = seen.map(typeOf);
      assert.ok(types.lastIndexOf("TEXT_MESSAGE_END") > types.lastIndexOf("TEXT_MESSAGE_CONTENT"));

      assert.equal(
        await t.llm.requests[0].ended,
        "disconnected",
        "the HTTP request to the model was aborted",
      );
      const [call] = await t.db
        .sql`SELECT status, error_type FROM llm_calls WHERE run_id = ${runId}`;
      assert.equal(call.status, "cancelled");
      const [run] = await t.db.sql`SELECT status, ended_at FROM runs WHERE id = ${runId}`;
      assert.equal(run.status, "cancelled");
      assert.ok(run.ended_at);
      assert.deepEqual((await listEvents(t.db.sql, runId)).map((e) => e.id), ids(seen));

      const again = await fetch(`${t.gb.url}/api/v1/runs/${runId}/cancel`, { method: "POST" });
      assert.equal(again.status, 409);
      assert.equal((await again.json()).error.code, "not_running");
    } finally {
      await t.close();
    }
  },
);

Deno.test(
  { name: "stall: a model stream that goes quiet times out and fails the run", ignore },
  async () => {
    const t = await setup({ GLASSBOX_LLM_IDLE_TIMEOUT_MS: "300", GLASSBOX_LLM_MAX_ATTEMPTS: "1" });
    try {
      t.llm.push({ kind: "stall", afterChunks: ["Let me ", "think"] });
      const res = await postJson(`${t.gb.url}/api/v1/chat`, { message: "hang" });
      assert.equal(res.status, 502);
      const body = await res.json();
      const [call] = await t.db
        .sql`SELECT status, first_chunk_at FROM llm_calls WHERE run_id = ${body.run_id}`;
      assert.equal(call.status, "timeout");
      assert.ok(call.first_chunk_at, "the chunks before the stall were seen");
      const events = await listEvents(t.db.sql, body.run_id);
      assert.equal(events.at(-1)!.event.type, "RUN_ERROR");
      assert.equal((events.at(-1)!.event as { code: string }).code, "timeout");
    } finally {
      await t.close();
    }
  },
);
