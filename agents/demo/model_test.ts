/** Drives the demo model the way the runtime does: through npm:openai, in-process and over HTTP. */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { DEMO_BASE_URL, demoHandler } from "./handler.ts";
import { inProcessFetch } from "./in_process_fetch.ts";
import type { ChatMessage, ChatTool } from "../llm/types.ts";

type StreamEnd = { chunksSent: number; cancelled: boolean };

function demoApp(chunkDelayMs = 0) {
  const ends: StreamEnd[] = [];
  const handler = demoHandler({ chunkDelayMs, onStreamEnd: (e) => ends.push(e) });
  const client = new OpenAI({
    baseURL: DEMO_BASE_URL,
    apiKey: "unused",
    fetch: inProcessFetch(handler),
    maxRetries: 0,
  });
  /** A request to the handler by path, like Hono's request(). */
  const request = (path: string, init?: RequestInit) =>
    handler(new Request(new URL(path, DEMO_BASE_URL), init));
  return { handler, request, client, ends };
}

const tool = (name: string): ChatTool => ({
  type: "function",
  function: { name, parameters: { type: "object" } },
});
const user = (content: string): ChatMessage[] => [{ role: "user", content }];

interface Collected {
  text: string;
  calls: { id: string; name: string; args: string; fragments: number }[];
  contentChunks: number;
  usage: OpenAI.CompletionUsage | null;
  usageChunks: number;
  finishReason: string | null;
  models: Set<string>;
}

async function collect(stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>) {
  const c: Collected = {
    text: "",
    calls: [],
    contentChunks: 0,
    usage: null,
    usageChunks: 0,
    finishReason: null,
    models: new Set(),
  };
  for await (const chunk of stream) {
    c.models.add(chunk.model);
    if (chunk.usage) {
      c.usageChunks++;
      c.usage = chunk.usage;
      assert.deepEqual(chunk.choices, []); // usage comes alone, in the last chunk
    }
    const choice = chunk.choices[0];
    if (!choice) continue;
    c.finishReason = choice.finish_reason ?? c.finishReason;
    if (choice.delta.content) {
      c.text += choice.delta.content;
      c.contentChunks++;
    }
    for (const tc of choice.delta.tool_calls ?? []) {
      const call = c.calls[tc.index];
      if (!call) {
        assert.ok(tc.id && tc.function?.name, "the first fragment carries id and name");
        c.calls[tc.index] = { id: tc.id, name: tc.function.name, args: "", fragments: 0 };
      } else assert.ok(!tc.id && !tc.function?.name, "later fragments carry only arguments");
      c.calls[tc.index].args += tc.function?.arguments ?? "";
      c.calls[tc.index].fragments++;
    }
  }
  return c;
}

function streamChat(
  client: OpenAI,
  messages: ChatMessage[],
  tools: string[] = [],
  extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsStreaming> = {},
  signal?: AbortSignal,
) {
  return client.chat.completions.create({
    model: "glassbox-demo",
    messages,
    ...(tools.length ? { tools: tools.map(tool) } : {}),
    stream: true,
    stream_options: { include_usage: true },
    ...extra,
  }, { signal });
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

Deno.test("demo model: streams a plain answer in many small chunks, with usage last", async () => {
  const { client } = demoApp();
  const c = await collect(await streamChat(client, user("Tell me a joke"), ["ask_utility"]));
  assert.match(c.text, /^I'm \*\*Glassbox's offline demo model\*\*/);
  assert.match(c.text, /You asked: “Tell me a joke”/);
  assert.match(c.text, /`OPENAI_BASE_URL`[\s\S]*`OPENAI_API_KEY`[\s\S]*`GLASSBOX_MODEL`/);
  assert.match(c.text, /“What time is it in Asia\/Tokyo\?” or “What is 17 \* 23\?”/);
  assert.doesNotMatch(c.text, /tokens have I used/); // no usage tool offered, so not suggested
  assert.ok(words(c.text) >= 40 && words(c.text) <= 90, `${words(c.text)} words`);
  assert.ok(c.contentChunks > 20);
  assert.equal(c.finishReason, "stop");
  assert.deepEqual([...c.models], ["glassbox-demo"]);
  assert.equal(c.usageChunks, 1);
  assert.deepEqual(c.usage, {
    prompt_tokens: Math.ceil("Tell me a joke".length / 4),
    completion_tokens: c.contentChunks,
    total_tokens: Math.ceil("Tell me a joke".length / 4) + c.contentChunks,
  });
});

Deno.test("demo model: usage chunk only when stream_options.include_usage is set", async () => {
  const { client } = demoApp();
  const c = await collect(
    await streamChat(client, user("hi"), [], { stream_options: { include_usage: false } }),
  );
  assert.equal(c.usageChunks, 0);
  const d = await collect(await streamChat(client, user("hi"), [], { stream_options: undefined }));
  assert.equal(d.usageChunks, 0);
  assert.equal(d.text, c.text);
});

Deno.test("demo model: a tool call whose fragmented arguments join to valid JSON", async () => {
  const { client } = demoApp();
  const c = await collect(
    await streamChat(client, user("What is (17 * 23) + sqrt(16)?"), ["calculator", "clock"]),
  );
  assert.equal(c.text, "");
  assert.equal(c.finishReason, "tool_calls");
  assert.equal(c.calls.length, 1);
  assert.equal(c.calls[0].name, "calculator");
  assert.match(c.calls[0].id, /^call_[0-9a-f]{8}_0$/);
  assert.ok(c.calls[0].fragments >= 3, `${c.calls[0].fragments} fragments`);
  assert.deepEqual(JSON.parse(c.calls[0].args), { expression: "(17 * 23) + sqrt(16)" });
  assert.equal(c.usage?.completion_tokens, c.calls[0].fragments);
});

Deno.test("demo model: two tool calls in one response; only offered tools are called", async () => {
  const { client } = demoApp();
  const both = await collect(
    await streamChat(client, user("What time is it in Asia/Tokyo and what is 12*7?"), [
      "clock",
      "calculator",
    ]),
  );
  assert.deepEqual(both.calls.map((c) => [c.name, JSON.parse(c.args)]), [
    ["clock", { timezone: "Asia/Tokyo" }],
    ["calculator", { expression: "12*7" }],
  ]);
  assert.notEqual(both.calls[0].id, both.calls[1].id);

  const q = "What time is it, and how many tokens have I used today?";
  const team = await collect(
    await streamChat(client, user(q), ["ask_usage_analyst", "ask_utility"]),
  );
  assert.deepEqual(team.calls.map((c) => [c.name, JSON.parse(c.args)]), [
    ["ask_usage_analyst", { task: q }],
    ["ask_utility", { task: q }],
  ]);
  const analyst = await collect(await streamChat(client, user(q), ["llm_usage"]));
  assert.deepEqual(analyst.calls.map((c) => [c.name, JSON.parse(c.args)]), [
    ["llm_usage", { period: "today", scope: "user" }],
  ]);

  const notOffered = await collect(
    await streamChat(client, user("What time is it?"), ["calculator"]),
  );
  assert.deepEqual(notOffered.calls, []);
  assert.match(notOffered.text, /You asked: “What time is it\?”/);
  const forbidden = await collect(
    await streamChat(client, user("What is 2+2?"), ["calculator"], { tool_choice: "none" }),
  );
  assert.deepEqual(forbidden.calls, []);
});

Deno.test("demo model: after tool results, answers by composing them", async () => {
  const { client } = demoApp();
  const messages: ChatMessage[] = [
    { role: "system", content: "You are helpful." },
    { role: "user", content: "What time is it and what is 17*23?" },
    {
      role: "assistant",
      content: null,
      tool_calls: [
        { id: "c1", type: "function", function: { name: "clock", arguments: "{}" } },
        { id: "c2", type: "function", function: { name: "calculator", arguments: "{}" } },
      ],
    },
    {
      role: "tool",
      tool_call_id: "c1",
      content: "It is Tuesday, 17 November 2026, 13:03:12 in UTC.",
    },
    { role: "tool", tool_call_id: "c2", content: "17*23 = 391" },
  ];
  const c = await collect(await streamChat(client, messages, ["clock", "calculator"]));
  assert.deepEqual(c.calls, []);
  assert.equal(c.finishReason, "stop");
  assert.match(c.text, /^Here is what I found, using 2 tools at once:/);
  assert.match(c.text, /- \*\*Clock\*\*: It is Tuesday, 17 November 2026, 13:03:12 in UTC\./);
  assert.match(c.text, /- \*\*Calculator\*\*: 17\*23 = 391/);

  const single = await collect(await streamChat(client, messages.slice(0, 4), ["clock"]));
  assert.match(single.text, /^Here is what the \*\*Clock\*\* tool reported:\n\n> It is Tuesday/);
  assert.ok(words(single.text) >= 40 && words(single.text) <= 90, `${words(single.text)} words`);
});

Deno.test("demo model: non-streaming returns a chat.completion with usage", async () => {
  const { client } = demoApp();
  const text = await client.chat.completions.create({ model: "any", messages: user("Hello?") });
  assert.equal(text.object, "chat.completion");
  assert.equal(text.model, "glassbox-demo");
  assert.equal(text.choices[0].finish_reason, "stop");
  assert.match(text.choices[0].message.content ?? "", /You asked: “Hello\?”/);
  assert.ok(text.usage && text.usage.completion_tokens > 20 && text.usage.prompt_tokens === 2);

  const calls = await client.chat.completions.create({
    model: "any",
    messages: user("calculate 2^10"),
    tools: [tool("calculator")],
  });
  assert.equal(calls.choices[0].finish_reason, "tool_calls");
  assert.equal(calls.choices[0].message.content, null);
  const [call] = calls.choices[0].message.tool_calls ?? [];
  assert.ok(call?.type === "function");
  assert.deepEqual([call.function.name, JSON.parse(call.function.arguments)], [
    "calculator",
    { expression: "2^10" },
  ]);
});

Deno.test("demo model: deterministic — the same request gives the same output", async () => {
  const { client } = demoApp();
  const run = async (q: string) =>
    await collect(await streamChat(client, user(q), ["ask_usage_analyst", "ask_utility"]));
  for (const q of ["Hello there", "What is 6*7 and what day is it?", "tokens spent this week?"]) {
    const [a, b] = [await run(q), await run(q)];
    assert.deepEqual([a.text, a.calls, a.usage], [b.text, b.calls, b.usage], q);
  }
});

Deno.test("demo model: hostile text is echoed verbatim (escaping is the renderer's job)", async () => {
  const { client } = demoApp();
  const hostile = `<script>alert("x")</script> <img src=x onerror=alert(1)> **bold** & "quotes"`;
  const c = await collect(await streamChat(client, user(hostile)));
  assert.ok(c.text.includes(`You asked: “${hostile}”`), c.text);
  const long = "a".repeat(400);
  const d = await collect(await streamChat(client, user(long)));
  assert.ok(d.text.includes(`You asked: “${"a".repeat(300)}…”`)); // long questions are cut
});

Deno.test("demo model: bad request bodies get an OpenAI-style 400", async () => {
  const { request, client } = demoApp();
  await assert.rejects(
    client.chat.completions.create({ model: "glassbox-demo", messages: [] }),
    (err) =>
      err instanceof OpenAI.BadRequestError && err.status === 400 && /`messages`/.test(err.message),
  );
  const post = (body: string) =>
    request("/demo/v1/chat/completions", {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
  for (
    const [body, message] of [
      ["{not json", /not valid JSON/],
      ["[1]", /JSON object/],
      [`{"messages":[{"role":"user","content":"x"}]}`, /`model`/],
      [`{"model":"m","messages":[{"role":"wizard","content":"x"}]}`, /messages\[0\]/],
      [`{"model":"m","messages":[{"role":"tool","content":"x"}]}`, /tool_call_id/],
      [
        `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"x"}]}`,
        /tools\[0\]/,
      ],
      [`{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}`, /`stream`/],
    ] as const
  ) {
    const res = await post(body);
    assert.equal(res.status, 400, body);
    const json = await res.json();
    assert.equal(json.error.type, "invalid_request_error");
    assert.match(json.error.message, message, body);
  }
});

Deno.test("inProcessFetch: any host reaches the handler in-process; nothing goes to the network", async () => {
  const { handler } = demoApp();
  const client = new OpenAI({
    baseURL: "http://glassbox.demo/demo/v1", // does not resolve: only the path is used
    apiKey: "unused",
    fetch: inProcessFetch(handler),
    maxRetries: 0,
  });
  const c = await collect(await streamChat(client, user("What is 1+1?"), ["calculator"]));
  assert.deepEqual(JSON.parse(c.calls[0].args), { expression: "1+1" });
});

Deno.test("demo model: GET /v1/models lists glassbox-demo; unknown paths 404", async () => {
  const { request, client } = demoApp();
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), ["glassbox-demo"]);
  const res = await request("/demo/v1/embeddings", { method: "POST" });
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.type, "invalid_request_error");
});

Deno.test("demo model: aborting stops the stream promptly, with no work after it", async () => {
  const { client, ends } = demoApp(20);
  const ac = new AbortController();
  const stream = await streamChat(client, user("Tell me everything"), [], {}, ac.signal);
  let seen = 0;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta.content && ++seen === 3) ac.abort();
  }
  assert.ok(ac.signal.aborted);
  await new Promise((r) => setTimeout(r, 100)); // a finished stream would have sent ~5 more
  assert.equal(ends.length, 1);
  assert.equal(ends[0].cancelled, true);
  assert.ok(ends[0].chunksSent <= 4, `${ends[0].chunksSent} chunks sent`);
  // A stream aborted while waiting for the response is never started.
  await assert.rejects(
    streamChat(client, user("hi"), [], {}, AbortSignal.abort()),
    OpenAI.APIUserAbortError,
  );
});

Deno.test("demo model: works over real HTTP, including client disconnects", async () => {
  const { handler, ends } = demoApp(10);
  const server = Deno.serve({ port: 0, onListen() {} }, handler);
  try {
    const client = new OpenAI({
      baseURL: `http://127.0.0.1:${server.addr.port}/demo/v1`,
      apiKey: "unused",
      maxRetries: 0,
    });
    const c = await collect(
      await streamChat(client, user("What is 3 * (4 + 5)?"), ["calculator"]),
    );
    assert.deepEqual(JSON.parse(c.calls[0].args), { expression: "3 * (4 + 5)" });
    assert.equal(c.usage?.completion_tokens, c.calls[0].fragments);
    assert.deepEqual(ends, [{ chunksSent: c.calls[0].fragments, cancelled: false }]);

    const ac = new AbortController();
    const stream = await streamChat(client, user("Talk to me"), [], {}, ac.signal);
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) ac.abort();
    for (let i = 0; i < 50 && ends.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(ends[1]?.cancelled, true);
    assert.ok(ends[1].chunksSent <= 3, `${ends[1].chunksSent} chunks sent`);
  } finally {
    await server.shutdown();
  }
});
