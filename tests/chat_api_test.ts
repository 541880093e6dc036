/**
 * The whole path over real HTTP: POST /api/v1/chat → agents → scripted OpenAI-compatible server →
 * llm_calls rows and the run's events in a fresh Postgres database.
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { postJson, startGlassbox, startStack } from "./support/server.ts";
import { listEvents } from "../db/events.ts";
import { accountsOf } from "./support/users.ts";

const ignore = await skipWithoutPostgres();

/** Orchestrator asks the utility sub-agent, which uses the calculator; then both answer. */
const SUB_AGENT_SCRIPTS = [
  {
    kind: "tool_calls" as const,
    calls: [{
      id: "call_root_1",
      name: "ask_utility",
      argFragments: ['{"ta', 'sk":"what is', ' 6*7?"}'],
    }],
    usage: { prompt_tokens: 120, completion_tokens: 12 },
  },
  {
    kind: "tool_calls" as const,
    calls: [{ id: "call_sub_1", name: "calculator", argFragments: ['{"expression":', '"6*7"}'] }],
    usage: { prompt_tokens: 80, completion_tokens: 9 },
  },
  {
    kind: "text" as const,
    chunks: ["6*7 ", "is 42."],
    usage: { prompt_tokens: 95, completion_tokens: 4 },
  },
  {
    kind: "text" as const,
    chunks: ["The ", "answer ", "is ", "**42**."],
    usage: { prompt_tokens: 140, completion_tokens: 5 },
  },
];

Deno.test(
  { name: "chat API: sub-agent and tool run end to end, every call recorded", ignore },
  async () => {
    const { db, llm, gb, close } = await startStack(
      { GLASSBOX_MODEL: "gpt-4o-mini" },
      SUB_AGENT_SCRIPTS,
    );
    try {
      const ada = await accountsOf(gb).create("ada@example.com");
      const res = await postJson(
        `${gb.url}/api/v1/chat`,
        { message: "What is 6*7?" },
        await ada.bearer(),
      );
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.status, "succeeded");
      assert.equal(body.answer, "The answer is **42**.");
      assert.deepEqual(body.usage, {
        llm_calls: 4,
        input_tokens: 120 + 80 + 95 + 140,
        output_tokens: 12 + 9 + 4 + 5,
        // gpt-4o-mini: $0.15 / $0.60 per 1M tokens
        cost_usd: Number(((435 * 0.15 + 30 * 0.6) / 1e6).toFixed(8)),
      });

      // The calculator really ran: its result went back to the sub-agent's model.
      const subSecond = llm.requests[2].body.messages as { role: string; content: string }[];
      assert.equal(subSecond.at(-1)!.role, "tool");
      assert.equal(subSecond.at(-1)!.content, "6*7 = 42");
      // The sub-agent's answer went back to the orchestrator as the ask_utility result.
      const rootSecond = llm.requests[3].body.messages as { role: string; content: string }[];
      assert.equal(rootSecond.at(-1)!.content, "6*7 is 42.");

      const calls = await db.sql`
      SELECT agent_name, status, input_tokens, output_tokens, span_id, parent_span_id, user_id,
        conversation_id, first_chunk_at, started_at, ended_at
      FROM llm_calls WHERE run_id = ${body.run_id} ORDER BY started_at`;
      assert.deepEqual(calls.map((c) => c.agent_name), [
        "glassbox",
        "utility",
        "utility",
        "glassbox",
      ]);
      assert.ok(calls.every((c) => c.status === "ok" && c.user_id === ada.id), "ada's calls");
      assert.ok(calls.every((c) => c.conversation_id === body.conversation_id));
      // The sub-agent's calls are children of the orchestrator call that asked for them.
      assert.equal(calls[1].parent_span_id, calls[0].span_id);
      assert.equal(calls[2].parent_span_id, calls[0].span_id);
      assert.equal(calls[0].parent_span_id, null);
      for (const c of calls) {
        assert.ok(
          c.started_at <= c.first_chunk_at && c.first_chunk_at <= c.ended_at,
        );
      }

      const events = await listEvents(db.sql, body.run_id);
      assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), "seq is gap-free");
      const ids = events.map((e) => e.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "ids increase with seq");
      const types = events.map((e) => e.event.type);
      assert.equal(types[0], "RUN_STARTED");
      assert.equal(types.at(-1), "RUN_FINISHED");
      const order = [
        "TOOL_CALL_START",
        "SUBAGENT_STARTED",
        "TOOL_CALL_RESULT",
        "SUBAGENT_FINISHED",
      ];
      const firstAt = order.map((t) => types.indexOf(t as never));
      assert.ok(firstAt.every((i) => i > 0), `all of ${order} present`);
      assert.ok(
        firstAt[0] < firstAt[1] && firstAt[1] < firstAt[2],
        "tool call → sub-agent → result",
      );
      const subStart = events.find((e) => e.event.type === "SUBAGENT_STARTED")!.event as {
        parentToolCallId: string;
        subagentRunId: string;
      };
      // Events carry the call's id in the run; the provider's own is in the start's metadata.
      const eventIdOf = (providerId: string) =>
        (events.find((e) =>
          e.event.type === "TOOL_CALL_START" &&
          (e.event.metadata as { providerToolCallId?: string }).providerToolCallId === providerId
        )!.event as { toolCallId: string }).toolCallId;
      assert.equal(subStart.parentToolCallId, eventIdOf("call_root_1"));
      // The calculator's call and result carry the sub-agent attribution.
      const calcResult = events.find((e) =>
        e.event.type === "TOOL_CALL_RESULT" &&
        (e.event as { toolCallId: string }).toolCallId === eventIdOf("call_sub_1")
      )!.event as { content: string; subagentRunId: string };
      assert.equal(calcResult.content, "6*7 = 42");
      assert.equal(calcResult.subagentRunId, subStart.subagentRunId);
      // The answer's text, joined from its deltas, is the answer.
      const text = events
        .filter((e) =>
          e.event.type === "TEXT_MESSAGE_CONTENT" &&
          !("subagentRunId" in e.event && e.event.subagentRunId)
        )
        .map((e) => (e.event as { delta: string }).delta)
        .join("");
      assert.equal(text, "The answer is **42**.");
      const names = events.filter((e) => e.event.type === "CUSTOM").map((e) =>
        (e.event as { name: string }).name
      );
      for (
        const n of [
          "glassbox.progress",
          "glassbox.agent_status",
          "glassbox.llm_call_started",
          "glassbox.llm_call_finished",
          "glassbox.log",
        ]
      ) {
        assert.ok(names.includes(n), `has ${n}`);
      }
      const progress = events
        .filter((e) => (e.event as { name?: string }).name === "glassbox.progress")
        .map((e) => (e.event as { value: { percent: number } }).value.percent);
      assert.deepEqual(progress, [...progress].sort((a, b) => a - b), "percent never falls");
      assert.equal(progress.at(-1), 100);

      const run = await (await fetch(`${gb.url}/api/v1/runs/${body.run_id}`)).json();
      assert.equal(run.status, "succeeded");
      assert.equal(run.usage.llm_calls, 4);
      const messages = await db
        .sql`SELECT role, content FROM messages WHERE conversation_id = ${body.conversation_id} ORDER BY created_at`;
      assert.deepEqual(messages.map((m) => [m.role, m.content]), [["user", "What is 6*7?"], [
        "assistant",
        "The answer is **42**.",
      ]]);

      // Only its owner continues a conversation: to anyone else (even an admin) it does not exist.
      const intruder = await postJson(`${gb.url}/api/v1/chat`, {
        message: "Mine now?",
        conversation_id: body.conversation_id,
      });
      assert.equal(intruder.status, 404);
      assert.equal((await intruder.json()).error.code, "not_found");
      // A second turn sends the first one to the model as context.
      llm.push({ kind: "text", chunks: ["Still 42."] });
      const second = await (await postJson(`${gb.url}/api/v1/chat`, {
        message: "And again?",
        conversation_id: body.conversation_id,
      }, await ada.bearer())).json();
      assert.equal(second.answer, "Still 42.");
      const sent = llm.requests.at(-1)!.body.messages as { role: string; content: string }[];
      assert.deepEqual(sent.slice(1).map((m) => m.content), [
        "What is 6*7?",
        "The answer is **42**.",
        "And again?",
      ]);
    } finally {
      await close();
    }
  },
);

Deno.test(
  { name: "chat API: a model failure fails the run, recorded, with a clear error", ignore },
  async () => {
    const { db, gb, close } = await startStack({ GLASSBOX_LLM_MAX_ATTEMPTS: "2" }, [
      { kind: "status", status: 500 },
      { kind: "status", status: 500 },
    ]);
    try {
      const res = await postJson(`${gb.url}/api/v1/chat`, { message: "hello" });
      assert.equal(res.status, 502);
      const body = await res.json();
      assert.equal(body.status, "failed");
      assert.equal(body.error.code, "run_failed");
      assert.match(body.error.message, /500/);
      const calls = await db
        .sql`SELECT status, error_type, attempt FROM llm_calls WHERE run_id = ${body.run_id} ORDER BY attempt`;
      assert.deepEqual(calls.map((c) => [c.status, c.error_type, c.attempt]), [[
        "error",
        "http_500",
        1,
      ], ["error", "http_500", 2]]);
      const events = await listEvents(db.sql, body.run_id);
      const logs = events.filter((e) => (e.event as { name?: string }).name === "glassbox.log")
        .map((e) => (e.event as { value: { level: string; message: string } }).value);
      assert.ok(
        logs.some((l) => l.level === "error" && /Run failed/.test(l.message)),
        "the failure is in the run's own log",
      );
      const last = events.at(-1)!.event as { type: string; code: string };
      assert.equal(last.type, "RUN_ERROR");
      assert.equal(last.code, "http_500");
      const [run] = await db.sql`SELECT status, error FROM runs WHERE id = ${body.run_id}`;
      assert.equal(run.status, "failed");
      assert.match(run.error, /500/);
    } finally {
      await close();
    }
  },
);

Deno.test(
  { name: "chat API: bad input gets a 4xx with a message, never a 500", ignore },
  async () => {
    const db = await freshPostgres();
    const gb = await startGlassbox({ DATABASE_URL: db.url });
    try {
      const cases: [string, RequestInit, number, string][] = [
        [
          "/api/v1/chat",
          { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" },
          400,
          "invalid_json",
        ],
        ["/api/v1/chat", { method: "POST", body: "hi" }, 415, "unsupported_media_type"],
        ["/api/v1/chat", json({}), 400, "invalid_body"],
        ["/api/v1/chat", json({ message: "   " }), 400, "invalid_body"],
        ["/api/v1/chat", json({ message: "hi", extra: 1 }), 400, "invalid_body"],
        // Who runs it comes from the session or key, never from the body.
        ["/api/v1/chat", json({ message: "hi", user_id: "someone" }), 400, "invalid_body"],
        ["/api/v1/chat", json({ message: "hi", conversation_id: "nope" }), 400, "invalid_body"],
        [
          "/api/v1/chat",
          json({ message: "hi", conversation_id: crypto.randomUUID() }),
          404,
          "not_found",
        ],
        ["/api/v1/chat", json({ message: "hi", agent: "nobody" }), 400, "invalid_body"],
        ["/api/v1/chat/stream", json({ message: 5 }), 400, "invalid_body"],
        [`/api/v1/runs/${crypto.randomUUID()}`, {}, 404, "not_found"],
        ["/api/v1/runs/not-a-uuid", {}, 404, "not_found"],
        [`/api/v1/runs/${crypto.randomUUID()}/events`, {}, 404, "not_found"],
        [`/api/v1/runs/${crypto.randomUUID()}/cancel`, { method: "POST" }, 404, "not_found"],
        ["/api/v1/llm-calls?status=weird", {}, 400, "invalid_query"],
        ["/api/v1/llm-calls?limit=0", {}, 400, "invalid_query"],
        ["/api/v1/llm-calls?cursor=garbage", {}, 400, "invalid_cursor"],
        ["/api/v1/nothing-here", {}, 404, "not_found"],
        ["/api/v1/chat", json({ message: "x".repeat(40_000) }), 400, "invalid_body"],
        ["/api/v1/chat", json({ message: "x".repeat(2 * 1024 * 1024) }), 413, "body_too_large"],
      ];
      for (const [path, init, status, code] of cases) {
        const res = await fetch(gb.url + path, init);
        const body = await res.json();
        assert.equal(res.status, status, `${path} ${init.body ?? ""}: ${JSON.stringify(body)}`);
        assert.equal(body.error.code, code, path);
        assert.ok(body.error.message.length > 3, `${path} explains itself`);
      }
      const [{ n }] = await db.sql`SELECT count(*)::int AS n FROM runs`;
      assert.equal(n, 0, "no run was started by bad input");
    } finally {
      await gb.close();
      await db.close();
    }
  },
);

function json(body: unknown): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

Deno.test(
  { name: "usage API: totals by model and agent; unknown price stays unknown", ignore },
  async () => {
    const { gb, close } = await startStack({ GLASSBOX_MODEL: "my-local-model" }, [
      { kind: "text", chunks: ["hi"], usage: { prompt_tokens: 10, completion_tokens: 2 } },
      { kind: "text", chunks: ["yo"], usage: { prompt_tokens: 30, completion_tokens: 4 } },
    ]);
    try {
      const [u1, u2] = [
        await accountsOf(gb).create("u1@example.com"),
        await accountsOf(gb).create("u2@example.com"),
      ];
      await (await postJson(`${gb.url}/api/v1/chat`, { message: "a" }, await u1.bearer())).body
        ?.cancel();
      await (await postJson(`${gb.url}/api/v1/chat`, { message: "b" }, await u2.bearer())).body
        ?.cancel();
      const all = await (await fetch(`${gb.url}/api/v1/usage?period=today`)).json();
      assert.equal(all.totals.calls, 2);
      assert.equal(all.totals.inputTokens, 40);
      assert.equal(all.totals.costUsd, null, "no price for my-local-model: unknown, not 0");
      assert.deepEqual(all.byModel.map((m: { model: string }) => m.model), ["my-local-model"]);
      // The local user is an admin: a user filter; u2's own key sees only u2's calls.
      const byU2 = await (await fetch(`${gb.url}/api/v1/usage?user_id=${u2.id}`)).json();
      assert.equal(byU2.totals.calls, 1);
      assert.equal(byU2.totals.outputTokens, 4);
      const own = await (await fetch(`${gb.url}/api/v1/usage`, { headers: await u2.bearer() }))
        .json();
      assert.deepEqual([own.totals.calls, own.totals.outputTokens], [1, 4]);
      const bad = await fetch(`${gb.url}/api/v1/usage?period=forever`);
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).error.code, "invalid_query");
    } finally {
      await close();
    }
  },
);

Deno.test({ name: "two sub-agents asked at once work side by side", ignore }, async () => {
  const db = await freshPostgres();
  const gb = await startGlassbox({ DATABASE_URL: db.url, GLASSBOX_DEMO_DELAY_MS: "5" });
  try {
    const res = await postJson(`${gb.url}/api/v1/chat`, {
      message: "What time is it, and how many tokens have I used today?",
    });
    const body = await res.json();
    assert.equal(body.status, "succeeded");
    const types = (await listEvents(db.sql, body.run_id)).map((e) => e.event.type as string);
    const started = types.flatMap((t, i) => t === "SUBAGENT_STARTED" ? [i] : []);
    assert.equal(started.length, 2);
    assert.ok(
      started[1] < types.indexOf("SUBAGENT_FINISHED"),
      "the second began before the first ended",
    );
    // Results go back to the model in the order it asked for them.
    const [first, second] = body.answer.match(/\*\*(Usage analyst|Utility)\*\*/g);
    assert.deepEqual([first, second], ["**Usage analyst**", "**Utility**"]);
  } finally {
    await gb.close();
    await db.close();
  }
});
