/**
 * No DATABASE_URL: Glassbox runs on an embedded PGlite in GLASSBOX_DATA. A demo chat is recorded
 * (llm_calls, events), and a restart on the same directory keeps the history.
 */
import assert from "node:assert/strict";
import { postJson, startGlassbox, type TestServer } from "./support/server.ts";
import { allMessages } from "./support/sse_client.ts";
import { LOCAL_USER_ID } from "../db/users.ts";
import { spawnGlassbox } from "./support/process.ts";

Deno.test("embedded PGlite: chat recorded; history survives a restart", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "glassbox-embedded-" });
  let gb: TestServer | undefined;
  try {
    gb = await startGlassbox({ GLASSBOX_DATA: dataDir });
    assert.equal(gb.glassbox.deps.db.embedded, true);

    // No configuration on loopback: the quick start's single local user.
    const res = await postJson(`${gb.url}/api/v1/chat`, { message: "What is 17 * 23?" });
    assert.equal(res.status, 200);
    const chat = await res.json();
    assert.equal(chat.status, "succeeded");
    assert.equal(chat.demo, true);
    assert.match(chat.answer, /17 \* 23 = 391/);
    assert.equal(chat.usage.llm_calls, 4);

    const calls = await (await fetch(`${gb.url}/api/v1/llm-calls?run_id=${chat.run_id}`)).json();
    assert.equal(calls.items.length, 4);
    assert.equal(calls.next_cursor, null);
    for (const c of calls.items) {
      assert.equal(c.runId, chat.run_id);
      assert.equal(c.status, "ok");
      assert.equal(c.usageSource, "provider");
      assert.equal(c.userId, LOCAL_USER_ID);
      assert.equal(c.requestModel, "glassbox-demo");
      assert.ok(c.inputTokens > 0 && c.outputTokens > 0);
    }
    assert.deepEqual(
      calls.items.map((c: { agentName: string }) => c.agentName).reverse(),
      ["glassbox", "utility", "utility", "glassbox"],
      "oldest first: orchestrator, sub-agent twice, orchestrator",
    );

    // The stored stream replays and ends by itself.
    const replay = await allMessages(
      (await fetch(`${gb.url}/api/v1/runs/${chat.run_id}/events`)).body!,
    );
    const events = replay.map((m) => JSON.parse(m.data));
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), "seq is gap-free");
    assert.ok(events.every((e) => e.runId === chat.run_id));
    assert.equal(events[0].event.type, "RUN_STARTED");
    assert.equal(events.at(-1).event.type, "RUN_FINISHED");
    assert.equal(events.at(-1).event.result.answer, chat.answer);
    for (const t of ["TOOL_CALL_START", "SUBAGENT_STARTED", "TEXT_MESSAGE_CONTENT"]) {
      assert.ok(events.some((e) => e.event.type === t), `has ${t}`);
    }

    await gb.close();
    gb = undefined;

    // A new server on the same directory: the conversation is still there.
    gb = await startGlassbox({ GLASSBOX_DATA: dataDir });
    const list = await (await fetch(`${gb.url}/api/v1/conversations`)).json();
    assert.deepEqual(list.items.map((c: { id: string }) => c.id), [chat.conversation_id]);
    assert.equal(list.items[0].messageCount, 2);
    const msgs = await (
      await fetch(`${gb.url}/api/v1/conversations/${chat.conversation_id}/messages`)
    ).json();
    assert.deepEqual(
      msgs.messages.map((m: { role: string; content: string }) => [m.role, m.content]),
      [["user", "What is 17 * 23?"], ["assistant", chat.answer]],
    );
    const run = await (await fetch(`${gb.url}/api/v1/runs/${chat.run_id}`)).json();
    assert.equal(run.status, "succeeded");
    assert.equal(run.usage.llm_calls, 4);

    const health = await fetch(`${gb.url}/health`);
    assert.equal(health.status, 200);
    const h = await health.json();
    assert.equal(h.status, "ok");
    assert.equal(h.database.kind, "embedded");
    assert.equal(h.database.ok, true);
    assert.ok(h.database.location.includes(dataDir), h.database.location);
  } finally {
    await gb?.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

Deno.test("embedded PGlite: a second process on the same directory is refused, naming the first", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "glassbox-embedded-lock-" });
  const first = await spawnGlassbox({ GLASSBOX_DATA: dataDir });
  try {
    const second = await spawnGlassbox({ GLASSBOX_DATA: dataDir }).then(
      (p) => p.close().then(() => "it started"),
      (err: Error) => err.message,
    );
    assert.match(second, new RegExp(`in use by another Glassbox \\(pid ${first.pid}\\)`));
    // The first one is unharmed.
    assert.equal((await fetch(`${first.url}/health`)).status, 200);
  } finally {
    await first.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
