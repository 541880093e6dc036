/**
 * A gateway session watched live, over real HTTP: calls through the gateway with attribution
 * headers become a run on the spine — the call is in the run's JSON stream the moment it starts
 * (while the upstream still holds its answer), its text streams, its tokens, cost and the
 * session's running totals come when it ends, log lines too; the stream resumes with
 * Last-Event-ID; the conversation page and /calls show it; after the idle time the run ends with
 * its totals, and calls without a session header are grouped per key.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { gatewayStack } from "./support/gateway.ts";
import { postJson } from "./support/server.ts";
import { type SseMessage, sseMessages } from "./support/sse_client.ts";
import { Browser } from "./support/users.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();

interface Envelope {
  id: number;
  runId: string;
  event: { type: string; name?: string; value?: Record<string, unknown>; delta?: string };
}

/** Reads envelopes from an SSE body until `until` matches one; returns all read. */
async function readUntil(
  it: AsyncGenerator<SseMessage>,
  until: (e: Envelope) => boolean,
): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for (;;) {
    const { value, done } = await it.next();
    if (done) throw new Error(`stream ended before the event: ${JSON.stringify(out.at(-1))}`);
    const env = JSON.parse(value.data) as Envelope;
    out.push(env);
    if (until(env)) return out;
  }
}

const custom = (name: string) => (e: Envelope) =>
  e.event.type === "CUSTOM" && e.event.name === name;

Deno.test(
  { name: "gateway live: a session is a run on the spine, watched as it happens", ignore },
  async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => release = r);
    await using s = await gatewayStack({ GLASSBOX_GATEWAY_SESSION_IDLE_MS: "1500" }, [
      {
        kind: "tool_calls",
        text: ["Plan: ", "look it up"],
        calls: [{ id: "call_1", name: "search", argFragments: ['{"q":', '"paris"}'] }],
        hold,
      },
      { kind: "text", chunks: ["Paris ", "is sunny."] },
      { kind: "text", chunks: ["other"] },
    ]);
    const reader = await s.user.bearer(["read"]);
    const attribution = {
      ...s.headers,
      "x-glassbox-session": "checkout-flow",
      "x-glassbox-agent": "planner",
      "x-glassbox-end-user": "customer-42",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    };
    const first = await postJson(`${s.base}/chat/completions`, {
      model: "gpt-test",
      messages: [{ role: "user", content: "weather in paris?" }],
      stream: true,
    }, attribution);
    assert.equal(first.status, 200);
    const firstBody = first.text(); // read as a client does, while the test watches the run
    const runId = first.headers.get("x-glassbox-run-id")!;
    const conversationId = first.headers.get("x-glassbox-conversation-id")!;
    assert.ok(runId && conversationId);

    // The call is on the run's stream while the upstream still holds its answer back.
    const live = await fetch(`${s.gb.url}/api/v1/runs/${runId}/events`, { headers: reader });
    const events = sseMessages(live.body!);
    const started = await readUntil(events, custom("glassbox.llm_call_started"));
    assert.equal(started[0].event.type, "RUN_STARTED");
    assert.equal(s.llm.requests[0].state, "open", "the upstream has not answered yet");
    const startedValue = started.at(-1)!.event.value!;
    assert.equal(startedValue.agent, "planner");
    assert.equal(startedValue.parentSpanId, "b7ad6b7169203331", "parent span from traceparent");
    const resumeFrom = started.at(-1)!.id;

    release();
    const rest = await readUntil(events, custom("glassbox.usage"));
    const text = rest.filter((e) => e.event.type === "TEXT_MESSAGE_CONTENT").map((e) =>
      e.event.delta
    )
      .join("");
    assert.equal(text, "Plan: look it up", "the answer text streamed into the run");
    assert.ok(rest.some((e) => e.event.type === "TOOL_CALL_START"));
    const finished = rest.find(custom("glassbox.llm_call_finished"))!.event.value!;
    assert.equal(finished.inputTokens, 10);
    assert.equal(finished.status, "ok");
    assert.ok(rest.some(custom("glassbox.log")), "a log line for the call");
    assert.equal(rest.find(custom("glassbox.usage"))!.event.value!.llmCalls, 1);
    await events.return(undefined);
    assert.match(await firstBody, /look it up/);
    await waitFor(async () => (await s.rows()).length === 1, "the first row");

    // A second call of the session joins the same run; the stream resumes after an id exactly.
    const second = await postJson(`${s.base}/chat/completions`, {
      model: "gpt-test",
      messages: [{ role: "user", content: "and then?" }],
    }, { ...attribution, "x-glassbox-agent": "writer" });
    assert.equal((await second.json()).choices[0].message.content, "Paris is sunny.");
    assert.equal(second.headers.get("x-glassbox-run-id"), runId);
    const resumed = await fetch(`${s.gb.url}/api/v1/runs/${runId}/events`, {
      headers: { ...reader, "last-event-id": String(resumeFrom) },
    });
    const again = sseMessages(resumed.body!);
    const after = await readUntil(
      again,
      (e) => custom("glassbox.llm_call_finished")(e) && e.event.value!.agent === "writer",
    );
    assert.ok(after[0].id > resumeFrom, "nothing before the resume point");
    assert.deepEqual(
      after.map((e) => e.id),
      [...after.map((e) => e.id)].sort((a, b) => a - b),
      "in order",
    );
    assert.equal(new Set(after.map((e) => e.id)).size, after.length, "no duplicates");

    // Rows: attributed to the session's run and conversation, with the headers' facts.
    const rows = await s.rows();
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.equal(row.run_id, runId);
      assert.equal(row.conversation_id, conversationId);
      assert.equal(row.metadata.session, "checkout-flow");
      assert.equal(row.metadata.endUser, "customer-42");
      assert.equal(row.metadata.traceId, "0af7651916cd43dd8448eb211c80319c");
    }
    assert.deepEqual(rows.map((r) => r.agent_name), ["planner", "writer"]);

    // The page and /calls show it.
    const browser = new Browser(s.gb.url);
    await browser.signIn(s.user.email, s.user.password);
    const page = await (await browser.fetch(`/c/${conversationId}`)).text();
    assert.match(page, /Gateway · checkout-flow/);
    assert.match(page, /Paris is sunny\./);
    assert.match(page, /planner/);
    const calls = await (await browser.fetch("/calls")).text();
    assert.ok(calls.includes(rows[0].id), "the call is in /calls");

    // After the idle time the session's run ends with its totals.
    const end = await readUntil(again, (e) => e.event.type === "RUN_FINISHED");
    const result = end.at(-1)!.event as unknown as { result: { llmCalls: number } };
    assert.equal(result.result.llmCalls, 2);
    await again.return(undefined);
    const [run] = await waitFor(
      async () => {
        const r = await s.db.sql`SELECT status FROM runs WHERE id = ${runId}`;
        return r[0]?.status === "succeeded" && r;
      },
      "the run's final status",
    );
    assert.equal(run.status, "succeeded");

    // No session header: the key's own session, a new run since the last one ended.
    const plain = await postJson(`${s.base}/chat/completions`, {
      model: "gpt-test",
      messages: [{ role: "user", content: "hi" }],
    }, s.headers);
    await plain.body?.cancel();
    const keyRun = plain.headers.get("x-glassbox-run-id")!;
    assert.notEqual(keyRun, runId);
    const last = (await s.rows()).at(-1)!;
    assert.match(last.metadata.session, /^key /);
    assert.equal(last.run_id, keyRun);
  },
);
