/**
 * The recording LLM gateway over real HTTP: a Glassbox with sign-in on in front of a scripted
 * OpenAI-compatible upstream, reached by the real openai client and by plain fetch. Each call is
 * checked on both sides: what the client got, what the upstream was sent, and the llm_calls row.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { gatewayStack } from "./support/gateway.ts";
import { postJson } from "./support/server.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();

Deno.test(
  { name: "gateway: a non-streamed call is forwarded as it is and recorded", ignore },
  async () => {
    await using s = await gatewayStack({}, [{ kind: "text", chunks: ["Hel", "lo"] }]);
    const answer = await s.openai().chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "hi" }],
      temperature: 0.5,
      user: "end-user-7",
    });
    assert.equal(answer.choices[0].message.content, "Hello");
    assert.equal(answer.usage?.prompt_tokens, 10);

    const sent = s.llm.requests[0];
    assert.equal(sent.headers.get("authorization"), "Bearer upstream-secret-key");
    assert.equal(sent.body.model, "gpt-test");
    assert.equal(sent.body.temperature, 0.5);
    assert.equal(sent.body.user, "end-user-7");

    const [row] = await s.rows();
    assert.equal(row.status, "ok");
    assert.equal(row.provider, "default");
    assert.equal(row.request_model, "gpt-test");
    assert.equal(row.user_id, s.user.id);
    assert.equal(row.input_tokens, 10);
    assert.equal(row.output_tokens, 2);
    assert.equal(Number(row.cost_usd), (10 * 1 + 2 * 2) / 1e6);
    assert.equal(row.response, "Hello");
    assert.deepEqual(row.prompt, [{ role: "user", content: "hi" }]);
    assert.equal(row.request_params.temperature, 0.5);
    assert.equal(row.metadata.via, "gateway");
    assert.equal(row.agent_name, "gateway");
  },
);

Deno.test(
  { name: "gateway: usage the upstream does not report is NULL, not 0", ignore },
  async () => {
    await using s = await gatewayStack({}, [{ kind: "text", chunks: ["x"], usage: null }]);
    await s.openai().chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "hi" }],
    });
    const [row] = await s.rows();
    assert.equal(row.status, "ok");
    assert.equal(row.input_tokens, null);
    assert.equal(row.output_tokens, null);
    assert.equal(row.cost_usd, null);
    assert.equal(row.usage_source, "none");
  },
);

Deno.test({ name: "gateway: keys, scopes and bad requests", ignore }, async () => {
  await using s = await gatewayStack();
  const body = { model: "gpt-test", messages: [{ role: "user", content: "hi" }] };
  const url = `${s.base}/chat/completions`;
  const status = async (res: Response) => (await res.body?.cancel(), res.status);
  assert.equal(await status(await postJson(url, body)), 401);
  assert.equal(await status(await postJson(url, body, { authorization: "Bearer nope" })), 401);
  const readOnly = await s.user.bearer(["read", "chat"]);
  const refused = await postJson(url, body, readOnly);
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).error.message, /scope gateway/);
  for (
    const [bad, why] of [
      [{ ...body, model: "" }, /model/],
      [{ model: "gpt-test", messages: [] }, /messages/],
      [[1, 2], /object/],
    ] as const
  ) {
    const res = await postJson(url, bad, s.headers);
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, why);
  }
  const notJson = await fetch(url, { method: "POST", headers: s.headers, body: "{" });
  assert.equal(notJson.status, 400);
  await notJson.body?.cancel();
  const badHeader = await postJson(url, body, { ...s.headers, "x-glassbox-run": "not-a-uuid" });
  assert.equal(badHeader.status, 400);
  assert.match((await badHeader.json()).error.message, /x-glassbox-run/);
  assert.equal(s.llm.requests.length, 0, "nothing refused reached the upstream");
});

Deno.test({ name: "gateway: /models lists provider/model names", ignore }, async () => {
  await using s = await gatewayStack();
  const models = await s.openai().models.list();
  const ids = models.data.map((m) => m.id);
  assert.ok(ids.includes("default/gpt-test"), ids.join(", "));
  assert.ok(ids.includes("glassbox-demo/glassbox-demo"));
  // provider/model reaches that provider: the demo model answers offline.
  const demo = await s.openai().chat.completions.create({
    model: "glassbox-demo/glassbox-demo",
    messages: [{ role: "user", content: "hi" }],
  });
  assert.ok(demo.choices[0].message.content);
  const rows = await waitFor(async () => (await s.rows()).length === 1 && s.rows(), "the row");
  assert.equal(rows[0].provider, "glassbox-demo");
});

Deno.test(
  { name: "gateway: an upstream 500 is passed on with its body and recorded", ignore },
  async () => {
    await using s = await gatewayStack({}, [{
      kind: "status",
      status: 500,
      body: { error: { message: "upstream-secret-key leaked? boom" } },
    }]);
    // A name that is no provider's is a bare model name: it goes to the default provider.
    const res = await postJson(`${s.base}/chat/completions`, {
      model: "nosuch/provider-model",
      messages: [{ role: "user", content: "hi" }],
    }, s.headers);
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.ok(!text.includes("upstream-secret-key"), "the upstream key never reaches the client");
    assert.match(text, /boom/);
    assert.equal(s.llm.requests[0].body.model, "nosuch/provider-model");
    const [row] = await s.rows();
    assert.equal(row.status, "error");
    assert.equal(row.error_type, "http_500");
    assert.ok(!row.error_message.includes("upstream-secret-key"));
  },
);

Deno.test(
  { name: "gateway: an upstream 429 is passed on with Retry-After and recorded", ignore },
  async () => {
    await using s = await gatewayStack({}, [{ kind: "status", status: 429, retryAfter: "7" }]);
    const res = await postJson(`${s.base}/chat/completions`, {
      model: "gpt-test",
      messages: [{ role: "user", content: "hi" }],
    }, { ...s.headers, "x-stainless-retry-count": "2" });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "7");
    assert.deepEqual(await res.json(), {
      error: { message: "scripted 429", type: "scripted_error" },
    });
    const [row] = await s.rows();
    assert.equal(row.status, "error");
    assert.equal(row.error_type, "http_429");
    assert.match(row.error_message, /scripted 429/);
    assert.equal(row.attempt, 3, "the client's third try");
    assert.equal(res.headers.get("x-glassbox-call-id"), row.id);
  },
);
