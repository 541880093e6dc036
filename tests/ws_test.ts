/** The WebSocket API over a real socket: chat, follow, resume, cancel, logs, ping, bad input. */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { startGlassbox } from "./support/server.ts";
import { listEvents } from "../db/events.ts";
import { connectWs } from "./support/ws_client.ts";

const ignore = await skipWithoutPostgres();

const connect = (url: string) => connectWs(url);

Deno.test({ name: "websocket: chat, follow with resume, ping, errors", ignore }, async () => {
  const db = await freshPostgres();
  const gb = await startGlassbox({ DATABASE_URL: db.url });
  const ws = await connect(gb.url);
  try {
    ws.send({ type: "ping" });
    assert.equal(typeof (await ws.next((m) => m.type === "pong")).time, "number");

    ws.raw("{not json");
    assert.equal((await ws.next((m) => m.type === "error")).code, "invalid_json");
    ws.send({ type: "dance" });
    assert.equal((await ws.next((m) => m.type === "error")).code, "invalid_message");
    ws.send({ type: "subscribe", run_id: crypto.randomUUID() });
    assert.equal((await ws.next((m) => m.type === "error")).code, "not_found");
    ws.send({ type: "chat", message: "" });
    assert.equal((await ws.next((m) => m.type === "error")).code, "invalid_message");

    // Who runs it is whoever opened the socket, never a field of the message.
    ws.send({ type: "chat", message: "What is 17 * 23?", user_id: "ws-user" });
    assert.equal((await ws.next((m) => m.type === "error")).code, "invalid_message");
    ws.send({ type: "chat", message: "What is 17 * 23?" });
    const started = await ws.next((m) => m.type === "run_started");
    const runId = started.run_id as string;
    const end = await ws.next((m) => m.type === "end");
    assert.deepEqual(end, { type: "end", run_id: runId, complete: true });
    const events = ws.inbox.splice(0).filter((m) => m.type === "event");
    await gb.glassbox.deps.runs.whenDone(runId); // events are stored before the run ends
    const stored = await listEvents(db.sql, runId);
    assert.deepEqual(events.map((e) => e.id), stored.map((e) => e.id), "every event, in order");
    assert.equal((events.at(-1)!.event as { type: string }).type, "RUN_FINISHED");
    assert.match(JSON.stringify(events.at(-1)!.event), /391/);

    // Follow the ended run again from the middle: exactly the rest.
    const middle = stored[Math.floor(stored.length / 2)].id;
    ws.send({ type: "subscribe", run_id: runId, after: middle });
    await ws.next((m) => m.type === "end");
    const rest = ws.inbox.splice(0).filter((m) => m.type === "event");
    assert.deepEqual(rest.map((e) => e.id), stored.filter((e) => e.id > middle).map((e) => e.id));
  } finally {
    await ws.close();
    await gb.close();
    await db.close();
  }
});

Deno.test({ name: "websocket: cancel a run and follow the log tail", ignore }, async () => {
  const db = await freshPostgres();
  const llm = startScriptedLlm([{ kind: "slow", chunks: Array(200).fill("x "), delayMs: 20 }]);
  const gb = await startGlassbox({
    DATABASE_URL: db.url,
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "t",
  });
  const ws = await connect(gb.url);
  const tail = await connect(gb.url);
  try {
    tail.send({ type: "logs" });
    ws.send({ type: "chat", message: "slow please" });
    const runId = (await ws.next((m) => m.type === "run_started")).run_id;
    await ws.next((m) =>
      m.type === "event" && (m.event as { type: string }).type === "TEXT_MESSAGE_CONTENT"
    );
    ws.send({ type: "cancel", run_id: runId });
    assert.deepEqual(await ws.next((m) => m.type === "cancelled"), {
      type: "cancelled",
      run_id: runId,
      status: "cancelled",
    });
    assert.deepEqual(await ws.next((m) => m.type === "end"), {
      type: "end",
      run_id: runId,
      complete: true,
    });
    const log = await tail.next((m) => m.type === "event" && m.runId === runId);
    const value = log.event as { name: string; value: { message: string; level: string } };
    assert.equal(value.name, "glassbox.log");
    assert.ok(value.value.message.length > 0);
    ws.send({ type: "cancel", run_id: runId });
    assert.equal((await ws.next((m) => m.type === "error")).code, "not_running");
  } finally {
    await ws.close();
    await tail.close();
    await gb.close();
    await llm.close();
    await db.close();
  }
});
