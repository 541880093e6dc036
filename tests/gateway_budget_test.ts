/**
 * Budgets on the gateway over real HTTP, a scripted OpenAI-compatible upstream and a fresh
 * Postgres: a call whose worst case passes a limit is refused before it is sent (429, a message
 * naming the budget, Retry-After at the window's reset) and ends the session's run stopped as an
 * in-app run is; a stream whose running cost passes a limit is cut (an error event naming the
 * budget, the upstream request closed, the row cancelled with the partial answer).
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { gatewayStack } from "./support/gateway.ts";
import { postJson } from "./support/server.ts";
import { allMessages } from "./support/sse_client.ts";
import { waitFor } from "./support/wait.ts";
import { CUSTOM, type RunStoppedValue } from "../agents/spine/events.ts";

const ignore = await skipWithoutPostgres();

/** $0.001 a token, in and out: 10 tokens in and 2 out cost $0.012. */
const PRICES = JSON.stringify({ "gpt-test": { input: 1000, output: 1000 } });
const ask = (extra: Record<string, unknown> = {}) => ({
  model: "gpt-test",
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

type Stack = Awaited<ReturnType<typeof gatewayStack>>;

/** The run's stop, once its status is stored (a session's run ends after the call). */
async function stoppedRun(s: Stack, runId: string) {
  const run = await waitFor(async () => {
    const [r] = await s.db.sql`SELECT status, error FROM runs WHERE id = ${runId}`;
    return r?.status !== "running" && r;
  }, "the session's run ended");
  const events = await s.db.sql`
    SELECT name, payload FROM events WHERE run_id = ${runId} ORDER BY seq`;
  const stops = events.filter((e) => e.name === CUSTOM.runStopped);
  assert.equal(stops.length, 1, "one run_stopped event");
  const last = events.at(-1)!.payload;
  assert.equal(last.type, "RUN_FINISHED");
  const stop = stops[0].payload.value as RunStoppedValue;
  assert.deepEqual(last.outcome, { type: "cancelled", stoppedBy: "budget", message: stop.message });
  return { status: run.status, error: run.error, stop, events };
}

Deno.test({ name: "gateway call over budget: refused before it is sent", ignore }, async () => {
  await using s = await gatewayStack({
    GLASSBOX_PRICES: PRICES,
    GLASSBOX_BUDGETS: JSON.stringify([{ scope: "user", period: "day", limit_usd: 0.05 }]),
  }, [{ kind: "text", chunks: ["Hel", "lo"] }]);
  const url = `${s.base}/chat/completions`;
  // Worst case: about 10 tokens of prompt and 5 out ($0.015) fits; it costs $0.012.
  const ok = await postJson(url, ask({ max_tokens: 5 }), s.headers);
  assert.equal(ok.status, 200, await ok.clone().text());
  const runId = ok.headers.get("x-glassbox-run-id")!;
  await ok.body?.cancel();

  // Now 100 tokens out ($0.1 at worst) would pass the $0.05 left of the day.
  const refused = await postJson(url, ask({ max_tokens: 100 }), s.headers);
  assert.equal(refused.status, 429);
  const body = await refused.json();
  assert.equal(body.error.code, "budget_exceeded");
  assert.equal(body.error.message, "daily budget $0.0500 reached");
  const midnight = new Date();
  midnight.setUTCHours(24, 0, 0, 0);
  const retryAfter = Number(refused.headers.get("retry-after"));
  const expected = (midnight.getTime() - Date.now()) / 1000;
  assert.ok(Math.abs(retryAfter - expected) <= 5, `Retry-After ${retryAfter}, ~${expected}`);
  assert.equal(s.llm.requests.length, 1, "the refused call was not sent");
  assert.equal((await s.rows()).length, 1, "only the call that was made is an llm_calls row");

  // The openai client sees a RateLimitError with the same message.
  await assert.rejects(
    s.openai().chat.completions.create({ ...ask(), max_tokens: 100 } as never),
    (err: { status?: number; message?: string }) =>
      err.status === 429 && /daily budget \$0\.0500 reached/.test(err.message ?? ""),
  );

  // As an in-app run a budget stops: the session's run ended stopped, saying why.
  const run = await stoppedRun(s, runId);
  assert.equal(run.status, "stopped");
  assert.equal(run.stop.message, "stopped: daily budget $0.0500 reached at call 2");
  assert.equal(run.error, run.stop.message);
  assert.equal(run.stop.resetAt, midnight.getTime());
  // The openai client's call came after the session's run had ended: refused with no session
  // open, it left no run (see the next test).
  const runs = await s.db.sql`SELECT id FROM runs`;
  assert.deepEqual(runs.map((r) => r.id), [runId]);
});

Deno.test({
  name:
    "gateway call over budget with no open session: no run is opened, a log record names the request and the budget",
  ignore,
}, async () => {
  const logs: string[] = [];
  await using s = await gatewayStack(
    {
      GLASSBOX_PRICES: PRICES,
      GLASSBOX_BUDGETS: JSON.stringify([{ scope: "user", period: "day", limit_usd: 0 }]),
    },
    [],
    { logs },
  );
  // A client that ignores Retry-After: five requests, five 429s — and no run, no conversation.
  for (let i = 0; i < 5; i++) {
    const res = await postJson(`${s.base}/chat/completions`, ask(), {
      ...s.headers,
      "x-request-id": `loop-${i}`,
      "x-glassbox-session": "nightly",
    });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("x-request-id"), `loop-${i}`);
    const body = await res.json();
    assert.equal(body.error.code, "budget_exceeded");
    assert.equal(body.error.message, "daily budget $0.00 reached");
    assert.ok(Number(res.headers.get("retry-after")) > 0);
  }
  assert.equal(s.llm.requests.length, 0);
  assert.equal((await s.rows()).length, 0, "no call was made, so no llm_calls row");
  const [{ runs, conversations }] = await s.db.sql`
    SELECT (SELECT count(*)::int FROM runs) AS runs,
      (SELECT count(*)::int FROM conversations) AS conversations`;
  assert.deepEqual({ runs, conversations }, { runs: 0, conversations: 0 });

  // One warning per refused request, with its request id, whose call it was and which budget.
  const refusals = logs.flatMap((line) => {
    const r = JSON.parse(line);
    return r.message?.startsWith?.("Gateway call refused") ? [r] : [];
  });
  assert.equal(refusals.length, 5, logs.join("\n"));
  const first = refusals[0];
  assert.equal(first.level, "WARN");
  assert.equal(
    first.message,
    'Gateway call refused (no session opened): "daily budget $0.00 reached"',
  );
  assert.equal(first.properties.requestId, "loop-0");
  assert.equal(first.properties.userId, s.user.id);
  assert.equal(first.properties.session, "nightly");
  assert.deepEqual(first.properties.budget, {
    scope: "user",
    period: "day",
    subject: "",
    metric: "usd",
  });
  assert.deepEqual(
    refusals.map((r) => r.properties.requestId),
    [0, 1, 2, 3, 4].map((i) => `loop-${i}`),
  );

  // Once the budget allows a call again, the session opens its run as usual.
  await s.db.sql`INSERT INTO budgets (id, scope, period, limit_usd)
    VALUES (${crypto.randomUUID()}, 'user', 'day', 1)`;
  s.gb.glassbox.deps.budgets.invalidate();
  s.llm.push({ kind: "text", chunks: ["ok"] });
  const ok = await postJson(`${s.base}/chat/completions`, ask({ max_tokens: 5 }), {
    ...s.headers,
    "x-glassbox-session": "nightly",
  });
  assert.equal(ok.status, 200, await ok.clone().text());
  await ok.body?.cancel();
  assert.ok(ok.headers.get("x-glassbox-run-id"));
});

Deno.test({
  name: "gateway call over budget: a stream is cut when its running cost passes the limit",
  ignore,
}, async () => {
  // 80 four-character words: $0.08 of output. The worst case (about 10 in, 10 out: $0.02) fits
  // the conversation's $0.03, which the stream passes some 40 characters in.
  const words = Array.from({ length: 80 }, (_, i) => `w${String(i).padStart(2, "0")} `);
  await using s = await gatewayStack({
    GLASSBOX_PRICES: PRICES,
    GLASSBOX_BUDGETS: JSON.stringify([{ scope: "conversation", limit_usd: 0.03 }]),
  }, [{ kind: "slow", chunks: words, delayMs: 5 }]);
  const res = await postJson(
    `${s.base}/chat/completions`,
    ask({ stream: true, max_tokens: 10 }),
    s.headers,
  );
  assert.equal(res.status, 200);
  const runId = res.headers.get("x-glassbox-run-id")!;
  const messages = await allMessages(res.body!);
  const chunks = messages.map((m) => JSON.parse(m.data));
  const last = chunks.at(-1);
  assert.deepEqual(last, {
    error: {
      message: "conversation budget $0.0300 reached",
      type: "budget_exceeded",
      code: "budget_exceeded",
    },
  });
  const text = chunks.slice(0, -1).map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
  assert.ok(text.length > 20 && words.join("").startsWith(text), text);
  assert.ok(text.length < words.join("").length / 2, "cut well before the end");
  assert.equal(await s.llm.requests[0].ended, "disconnected", "the upstream request was closed");

  const [row] = await waitFor(async () => (await s.rows()).length === 1 && s.rows(), "the row");
  assert.equal(row.status, "cancelled");
  assert.match(row.error_message, /conversation budget \$0\.0300 reached/);
  assert.ok(String(row.response).startsWith(text.slice(0, 20)), row.response);

  const run = await stoppedRun(s, runId);
  assert.equal(run.status, "stopped");
  assert.equal(run.stop.message, "stopped: conversation budget $0.0300 reached at call 1");
});

Deno.test({
  name:
    "gateway: streams cut by a budget count by their estimate, so a client that keeps starting them cannot spend past the limit",
  ignore,
}, async () => {
  // Each stream would cost $0.08 of output; its worst case (prompt and 10 tokens out, ~$0.02)
  // fits the user's $0.03 a day, so only the running cost stops it. Without usage from the cut
  // upstream, a cut call counted nothing: every request was let through and cut again.
  const words = Array.from({ length: 80 }, (_, i) => `w${String(i).padStart(2, "0")} `);
  const limit = 0.03;
  await using s = await gatewayStack({
    GLASSBOX_PRICES: PRICES,
    GLASSBOX_BUDGETS: JSON.stringify([{ scope: "user", period: "day", limit_usd: limit }]),
  }, Array.from({ length: 5 }, () => ({ kind: "slow" as const, chunks: words, delayMs: 5 })));
  const body = ask({ stream: true, max_tokens: 10 });
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await postJson(`${s.base}/chat/completions`, body, s.headers);
    statuses.push(res.status);
    if (res.status === 200) {
      const last = JSON.parse((await allMessages(res.body!)).at(-1)!.data);
      assert.equal(last.error?.code, "budget_exceeded", "the stream was cut");
    } else {
      assert.equal((await res.json()).error.code, "budget_exceeded");
    }
  }
  assert.deepEqual(statuses, [200, 429, 429, 429, 429], "only the first stream was sent");
  assert.equal(s.llm.requests.length, 1);

  const rows = await s.rows();
  assert.equal(rows.length, 1);
  const [row] = rows;
  assert.deepEqual([row.status, row.cost_usd, row.input_tokens], ["cancelled", null, null]);
  const spent = Number(row.estimated_cost_usd);
  // One call's worst case: its prompt's estimate and 10 tokens out, at $0.001 a token.
  const worst = (Number(row.estimated_input_tokens) + 10) * 0.001;
  assert.ok(spent > limit, `the cut call counts (${spent})`);
  assert.ok(spent <= limit + worst, `spent ${spent}, at most ${limit} + ${worst}`);
});

Deno.test({
  name: "gateway call over a run budget with no open session: no run is opened either",
  ignore,
}, async () => {
  // The worst case of one call (about 10 tokens in, 100 out: $0.11) alone passes a run's $0.05.
  await using s = await gatewayStack({
    GLASSBOX_PRICES: PRICES,
    GLASSBOX_BUDGETS: JSON.stringify([{ scope: "run", limit_usd: 0.05 }]),
  });
  for (let i = 0; i < 3; i++) {
    const res = await postJson(`${s.base}/chat/completions`, ask({ max_tokens: 100 }), s.headers);
    assert.equal(res.status, 429);
    const body = await res.json();
    assert.equal(body.error.message, "run budget $0.0500 reached");
    assert.equal(res.headers.get("retry-after"), null, "a run's budget never resets");
  }
  assert.equal(s.llm.requests.length, 0);
  const [{ runs }] = await s.db.sql`SELECT count(*)::int AS runs FROM runs`;
  assert.equal(runs, 0);
});
