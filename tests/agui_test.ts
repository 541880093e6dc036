/**
 * POST /api/v1/agui driven by the real AG-UI client (@ag-ui/client's HttpAgent) over real HTTP:
 * the demo model's sub-agent + tool run, every event valid per @ag-ui/core's EventSchema (raw SSE
 * too), threads continuing across runs, bad input, and cancel mid-run. Fresh Postgres.
 */
import assert from "node:assert/strict";
import { type BaseEvent, EventType, HttpAgent } from "@ag-ui/client";
import { EventSchema } from "@ag-ui/core/schemas";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { postJson, startGlassbox } from "./support/server.ts";
import { allMessages } from "./support/sse_client.ts";

const ignore = await skipWithoutPostgres();

/** Each event type's schema, rejecting keys the protocol does not define (EventSchema keeps them). */
const STRICT = new Map(EventSchema.options.map((o) => [String(o.shape.type.value), o.strict()]));

/** Every event must parse, and carry no key outside the AG-UI definition of its type. */
function assertValid(events: unknown[], where: string): void {
  assert.ok(events.length > 0, `${where}: some events`);
  for (const [i, ev] of events.entries()) {
    assert.deepEqual(EventSchema.parse(ev), ev, `${where}: event ${i} is valid AG-UI`);
    const type = String((ev as { type: unknown }).type);
    assert.doesNotThrow(() => STRICT.get(type)!.parse(ev), `${where}: event ${i} has extra keys`);
  }
}

/** A complete RunAgentInput, as a non-HttpAgent client would send it. */
function input(threadId: string, runId: string, content: string) {
  return {
    threadId,
    runId,
    messages: [{ id: crypto.randomUUID(), role: "user", content }],
    tools: [],
    context: [],
    state: {},
    forwardedProps: {},
  };
}

type Ev = BaseEvent & Record<string, unknown>;

/** GET /api/v1/runs/:id once the run row has its final status (set just after RUN_FINISHED). */
async function endedRun(url: string, runId: string) {
  for (let i = 0; i < 100; i++) {
    const run = await (await fetch(`${url}/api/v1/runs/${runId}`)).json();
    if (run.status !== "running") return run;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`run ${runId} did not end`);
}

Deno.test({ name: "AG-UI: HttpAgent runs the demo team; threads continue", ignore }, async () => {
  const db = await freshPostgres();
  const gb = await startGlassbox({ DATABASE_URL: db.url });
  try {
    const threadId = "my-thread (not a uuid)";
    const agent = new HttpAgent({ url: `${gb.url}/api/v1/agui`, threadId });
    agent.addMessage({ id: crypto.randomUUID(), role: "user", content: "What is 17 * 23?" });
    const runId = crypto.randomUUID();
    const events: Ev[] = [];
    let finished: string | undefined;
    await agent.runAgent({ runId }, {
      onEvent: ({ event }) => void events.push(event as Ev),
      onRunFinishedEvent: ({ outcome }) => void (finished = outcome),
    });
    assert.equal(finished, "success");
    const types: string[] = events.map((e) => e.type);
    assert.equal(types[0], EventType.RUN_STARTED);
    assert.equal(events[0].threadId, threadId, "the client's own thread id comes back");
    assert.equal(events[0].runId, runId);
    assert.equal(types.at(-1), EventType.RUN_FINISHED);
    assert.equal(events.at(-1)!.threadId, threadId);
    assert.equal(events.at(-1)!.runId, runId);
    const expected = "TOOL_CALL_START TOOL_CALL_ARGS TOOL_CALL_END TOOL_CALL_RESULT " +
      "SUBAGENT_STARTED SUBAGENT_FINISHED TEXT_MESSAGE_START TEXT_MESSAGE_CONTENT TEXT_MESSAGE_END";
    for (const t of expected.split(" ")) assert.ok(types.includes(t), `has ${t}`);
    assertValid(events, "client");
    // The answer the client assembled from the deltas (the last top-level assistant message).
    const answer = agent.messages.findLast((m) =>
      m.role === "assistant" && typeof m.content === "string" && !("subagentRunId" in m)
    );
    assert.match(String(answer?.content), /17 \* 23 = 391/);

    // The run is Glassbox's own run under the client's id, in a conversation for the thread.
    const run = await endedRun(gb.url, runId);
    assert.equal(run.status, "succeeded");
    assert.equal(run.usage.llm_calls, 4);
    const conversationId = run.conversation_id as string;
    assert.notEqual(conversationId, threadId);

    // Second turn on the same thread: same conversation, and the model sees the first turn.
    agent.addMessage({
      id: crypto.randomUUID(),
      role: "user",
      content: "Hello <script>alert(1)</script>",
    });
    const runId2 = crypto.randomUUID();
    const second = await agent.runAgent({ runId: runId2 });
    assert.ok(second.newMessages.some((m) => String(m.content).includes("<script>alert(1)")));
    const run2 = await endedRun(gb.url, runId2);
    assert.equal(run2.conversation_id, conversationId);
    const conv = await (await fetch(`${gb.url}/api/v1/conversations/${conversationId}/messages`))
      .json();
    const roles = conv.messages.map((m: { role: string }) => m.role).join(",");
    assert.equal(roles, "user,assistant,user,assistant");
    assert.equal(conv.messages[0].content, "What is 17 * 23?");
    assert.match(conv.messages[1].content, /391/);
    const [call] = await db.sql`
      SELECT prompt FROM llm_calls WHERE run_id = ${runId2} ORDER BY started_at LIMIT 1`;
    const sent = (call.prompt as { role: string; content: string }[]).slice(1);
    assert.deepEqual(sent.map((m) => m.role), ["user", "assistant", "user"]);
    assert.equal(sent[0].content, "What is 17 * 23?");
    assert.match(sent[1].content, /391/);

    // Reusing a run id is refused, as JSON.
    const again = await postJson(`${gb.url}/api/v1/agui`, input(threadId, runId, "hi"));
    assert.equal(again.status, 400);
    assert.match((await again.json()).error.message, /already exists/);
  } finally {
    await gb.close();
    await db.close();
  }
});

Deno.test(
  { name: "AG-UI: raw SSE events all validate; ids echoed; bad input", ignore },
  async () => {
    const db = await freshPostgres();
    const gb = await startGlassbox({ DATABASE_URL: db.url });
    try {
      // Non-UUID run id: Glassbox uses its own, but echoes the client's on start and finish.
      const res = await postJson(
        `${gb.url}/api/v1/agui`,
        input("t-raw", "r-raw", "What is 17 * 23?"),
      );
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type")!, /^text\/event-stream/);
      const msgs = await allMessages(res.body!);
      assert.ok(msgs.every((m) => m.id && Number(m.id) > 0), "every event has an SSE id");
      const events = msgs.map((m) => JSON.parse(m.data) as Ev);
      assertValid(events, "raw SSE");
      const [first, last] = [events[0], events.at(-1)!];
      assert.deepEqual([first.type, first.threadId, first.runId], [
        "RUN_STARTED",
        "t-raw",
        "r-raw",
      ]);
      assert.deepEqual([last.type, last.threadId, last.runId], ["RUN_FINISHED", "t-raw", "r-raw"]);
      assert.deepEqual(last.outcome, { type: "success" });
      assert.match(String((last.result as { answer: string }).answer), /391/);

      const bad: [string, unknown, number, string][] = [
        ["not an object", [1, 2], 400, "invalid_body"],
        ["no messages", { threadId: "t", runId: "r" }, 400, "invalid_body"],
        ["threadId a number", { ...input("t", "r", "hi"), threadId: 5 }, 400, "invalid_body"],
        [
          "bad role",
          {
            ...input("t", "r", "hi"),
            messages: [{ id: "1", role: "wizard", content: "x" }],
          },
          400,
          "invalid_body",
        ],
        [
          "no user message",
          {
            ...input("t", "r", "hi"),
            messages: [{ id: "1", role: "assistant", content: "x" }],
          },
          400,
          "invalid_body",
        ],
        ["blank user message", input("t", "r", "   "), 400, "invalid_body"],
      ];
      for (const [what, body, status, code] of bad) {
        const r = await postJson(`${gb.url}/api/v1/agui`, body);
        assert.equal(r.status, status, what);
        assert.match(r.headers.get("content-type")!, /application\/json/, what);
        const json = await r.json();
        assert.equal(json.error.code, code, what);
        assert.ok(json.error.message.length > 3, `${what}: explains itself`);
      }
      const notJson = await fetch(`${gb.url}/api/v1/agui`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{nope",
      });
      assert.equal(notJson.status, 400);
      assert.equal((await notJson.json()).error.code, "invalid_json");
      const [{ n }] = await db.sql`SELECT count(*)::int AS n FROM runs`;
      assert.equal(n, 1, "bad input started no run");
    } finally {
      await gb.close();
      await db.close();
    }
  },
);

Deno.test(
  { name: "AG-UI: cancel mid-run ends with a valid cancelled RUN_FINISHED", ignore },
  async () => {
    const db = await freshPostgres();
    const llm = startScriptedLlm([
      { kind: "slow", chunks: Array.from({ length: 200 }, (_, i) => `w${i} `), delayMs: 30 },
    ]);
    const gb = await startGlassbox({
      DATABASE_URL: db.url,
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: "test",
    });
    try {
      const agent = new HttpAgent({ url: `${gb.url}/api/v1/agui`, threadId: crypto.randomUUID() });
      agent.addMessage({ id: crypto.randomUUID(), role: "user", content: "go on forever" });
      const runId = crypto.randomUUID();
      const events: Ev[] = [];
      let cancel: Promise<Response> | undefined;
      let outcome: string | undefined;
      await agent.runAgent({ runId }, {
        onEvent: ({ event }) => {
          events.push(event as Ev);
          if (event.type === EventType.TEXT_MESSAGE_CONTENT && !cancel) {
            cancel = fetch(`${gb.url}/api/v1/runs/${runId}/cancel`, { method: "POST" });
          }
        },
        onRunFinishedEvent: (p) => void (outcome = p.outcome),
      });
      assert.ok(cancel, "text was streaming when we cancelled");
      const res = await cancel;
      assert.deepEqual(await res.json(), { run_id: runId, status: "cancelled" });
      assert.equal(outcome, "cancelled");
      const last = events.at(-1)!;
      assert.equal(last.type, EventType.RUN_FINISHED);
      assert.deepEqual(last.outcome, { type: "cancelled" });
      assert.ok(events.length < 150, "the run stopped well before the script's end");
      assertValid(events, "client");
      assert.equal(await llm.requests[0].ended, "disconnected", "the model call was aborted");

      // The stored stream, replayed raw, is just as valid and ends the same way.
      const stored =
        (await allMessages((await fetch(`${gb.url}/api/v1/runs/${runId}/events`)).body!))
          .map((m) => JSON.parse(m.data).event as Ev);
      assertValid(stored, "replay");
      assert.deepEqual(stored.at(-1)!.outcome, { type: "cancelled" });
      const types: string[] = stored.map((e) => e.type);
      assert.ok(types.lastIndexOf("TEXT_MESSAGE_END") > types.lastIndexOf("TEXT_MESSAGE_CONTENT"));
    } finally {
      await gb.close();
      await llm.close();
      await db.close();
    }
  },
);
