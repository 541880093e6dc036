/**
 * The gateway's streams and faults over real HTTP: chunks passed on as they arrive (a stalled
 * upstream's first chunk reaches the client before anything else happens), the usage chunk the
 * client did not ask for taken out, and each fault recorded and told: an upstream 429 with
 * Retry-After, a stall (timeout), a chunk that is not JSON, a stream cut short, and the client
 * going away (the upstream request is closed, the row says cancelled).
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { gatewayStack } from "./support/gateway.ts";
import { postJson } from "./support/server.ts";
import { allMessages, sseMessages } from "./support/sse_client.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();
const ask = (extra: Record<string, unknown> = {}) => ({
  model: "gpt-test",
  messages: [{ role: "user", content: "hi" }],
  stream: true,
  ...extra,
});

Deno.test(
  {
    name:
      "gateway stream: chunks passed on, the usage chunk asked for on the client's behalf removed",
    ignore,
  },
  async () => {
    await using s = await gatewayStack({}, [
      { kind: "text", chunks: ["Hel", "lo"] },
      { kind: "text", chunks: ["Hi"] },
    ]);
    const stream = await s.openai().chat.completions.create(
      ask() as never,
    ) as unknown as AsyncIterable<{ choices: { delta: { content?: string } }[]; usage?: unknown }>;
    const chunks = await Array.fromAsync(stream);
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""), "Hello");
    assert.ok(chunks.every((c) => c.choices.length === 1), "no usage chunk reached the client");
    assert.ok(chunks.every((c) => !("usage" in c)), "no usage field either");
    const sent = s.llm.requests[0].body;
    assert.deepEqual(sent.stream_options, { include_usage: true }, "usage asked upstream");

    // A client that asks for usage gets it.
    const withUsage = await allMessages(
      (await postJson(
        `${s.base}/chat/completions`,
        ask({ stream_options: { include_usage: true } }),
        s.headers,
      )).body!,
    );
    const usage = withUsage.filter((m) => m.data !== "[DONE]").map((m) => JSON.parse(m.data))
      .find((c) => c.usage);
    assert.equal(usage.usage.prompt_tokens, 10);
    assert.equal(withUsage.at(-1)!.data, "[DONE]");

    const rows = await s.rows();
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.equal(row.status, "ok");
      assert.equal(row.input_tokens, 10);
      assert.ok(row.first_chunk_at, "time to first token recorded");
      assert.equal(row.request_params.stream, true);
    }
    assert.equal(rows[0].response, "Hello");
    assert.equal(rows[0].output_tokens, 2);
  },
);

Deno.test(
  {
    name: "gateway stream: a stalled upstream — the first chunk passes at once, then a timeout",
    ignore,
  },
  async () => {
    await using s = await gatewayStack({ GLASSBOX_LLM_IDLE_TIMEOUT_MS: "400" }, [
      { kind: "stall", afterChunks: ["Hel"] },
    ]);
    const res = await postJson(`${s.base}/chat/completions`, ask(), s.headers);
    assert.equal(res.status, 200);
    const seen: string[] = [];
    for await (const m of sseMessages(res.body!)) {
      seen.push(m.data);
      // The upstream has not finished (it never will): what arrived was not held back.
      if (m.data.includes("Hel")) assert.equal(s.llm.requests[0].state, "open");
    }
    assert.ok(seen.some((d) => d.includes("Hel")));
    const last = JSON.parse(seen.at(-1)!);
    assert.equal(last.error.type, "upstream_timeout", "the client is told why it ended");
    const [row] = await s.rows();
    assert.equal(row.status, "timeout");
    assert.equal(row.response, "Hel");
    assert.equal(await s.llm.requests[0].ended, "disconnected", "the upstream request closed");
  },
);

Deno.test(
  { name: "gateway stream: a chunk that is not JSON is passed on and recorded", ignore },
  async () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: "gpt-test",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    await using s = await gatewayStack({}, [{
      kind: "raw",
      events: [chunk({ role: "assistant", content: "A" }), "{not json", chunk({}, "stop")],
    }]);
    const res = await postJson(`${s.base}/chat/completions`, ask(), s.headers);
    const data = (await allMessages(res.body!)).map((m) => m.data);
    assert.ok(data.includes("{not json"), "passed on as it came");
    assert.equal(data.at(-1), "[DONE]");
    const [row] = await s.rows();
    assert.equal(row.status, "error");
    assert.equal(row.error_type, "invalid_response");
    assert.equal(row.response, "A");
  },
);

Deno.test({ name: "gateway stream: a stream cut short is an error", ignore }, async () => {
  await using s = await gatewayStack({}, [{ kind: "cut", afterChunks: ["par", "tial"] }]);
  const res = await postJson(`${s.base}/chat/completions`, ask(), s.headers);
  await allMessages(res.body!);
  const [row] = await s.rows();
  assert.equal(row.status, "error");
  assert.equal(row.error_type, "incomplete_stream");
  assert.equal(row.response, "partial");
});

Deno.test(
  {
    name: "gateway stream: the client going away cancels the upstream; the row says cancelled",
    ignore,
  },
  async () => {
    const chunks = Array.from({ length: 200 }, (_, i) => `w${i} `);
    await using s = await gatewayStack({}, [{ kind: "slow", chunks, delayMs: 20 }]);
    const res = await postJson(`${s.base}/chat/completions`, ask(), s.headers);
    let n = 0;
    for await (const m of sseMessages(res.body!)) {
      if (m.data.includes("w1 ")) break; // leaves: the body is cancelled
      n++;
    }
    assert.ok(n >= 1);
    assert.equal(await s.llm.requests[0].ended, "disconnected", "the upstream saw it go");
    const row = await waitFor(async () => (await s.rows())[0], "the row");
    assert.equal(row.status, "cancelled");
    assert.match(row.response, /^w0 w1 /);
  },
);

Deno.test(
  {
    name: "gateway stream: an upstream 429 before the stream is passed on with Retry-After",
    ignore,
  },
  async () => {
    await using s = await gatewayStack({}, [{ kind: "status", status: 429, retryAfter: "3" }]);
    const res = await postJson(`${s.base}/chat/completions`, ask(), s.headers);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "3");
    assert.match((await res.json()).error.message, /scripted 429/);
    const [row] = await s.rows();
    assert.equal(row.error_type, "http_429");
  },
);
