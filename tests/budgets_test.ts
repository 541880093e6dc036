/**
 * Cost control over real HTTP, scripted models and a fresh Postgres: a call refused before it
 * is sent (worst case over the budget), a stream stopped mid-answer when its running cost
 * passes the limit (partial answer kept, every call recorded), each runaway guard, the unpriced
 * policy, and warnings announced once per threshold crossing.
 */
import assert from "node:assert/strict";
import { skipWithoutPostgres } from "./support/db.ts";
import { formatUsd } from "../agents/llm/cost.ts";
import { type Script, startScriptedLlm } from "./support/scripted_llm.ts";
import { customValues, startTeam } from "./support/team.ts";
import {
  type AgUiEvent,
  type BudgetWarningValue,
  CUSTOM,
  type RunCostValue,
  type RunStoppedValue,
} from "../agents/spine/events.ts";

const ignore = await skipWithoutPostgres();

/** One provider; `priced` has a price, `free-form` none. */
const team = (bossModel: string) => `
providers:
  p:
    base_url: \${LLM_URL}
    prices:
      priced: { input: 10, output: 1000 }
agents:
  boss:
    description: Answers, using the clock and the helper.
    instructions: Answer.
    model: ${bossModel}
    tools: [clock]
    sub_agents: [helper]
  helper:
    description: Helps.
    instructions: Help.
    model: p/priced
`;

const clockCall = (id: string, usage = { prompt_tokens: 10, completion_tokens: 1 }): Script => ({
  kind: "tool_calls",
  calls: [{ id, name: "clock", argFragments: ['{"timezone":"UTC"}'] }],
  usage,
});

async function stack(env: Record<string, string>, scripts: Script[], bossModel = "p/priced") {
  const llm = startScriptedLlm(scripts);
  const t = await startTeam(team(bossModel), { LLM_URL: llm.url, ...env });
  return {
    llm,
    t,
    async [Symbol.asyncDispose]() {
      await t.close();
      await llm.close();
    },
  };
}

function stopOf(events: AgUiEvent[]): RunStoppedValue {
  const [stop, ...more] = customValues<RunStoppedValue>(events, CUSTOM.runStopped);
  assert.ok(stop, "a run_stopped event");
  assert.equal(more.length, 0, "one run_stopped event");
  const last = events.at(-1) as { type: string; outcome?: Record<string, unknown> };
  assert.equal(last.type, "RUN_FINISHED", "a stopped run ends like any other: RUN_FINISHED");
  assert.deepEqual(last.outcome, {
    type: "cancelled",
    stoppedBy: stop.kind,
    message: stop.message,
  });
  assert.equal(events.at(-2) && (events.at(-2) as { name?: string }).name, CUSTOM.runStopped);
  return stop;
}

async function runRow(t: Awaited<ReturnType<typeof startTeam>>, runId: string) {
  const [row] = await t.sql`SELECT status, error FROM runs WHERE id = ${runId}`;
  return { status: row.status, error: row.error };
}

Deno.test(
  { name: "budget: a call whose worst case passes the limit is never sent", ignore },
  async () => {
    // The first call's worst case (5 tokens out at $1000 per 1M) and its streamed text and
    // arguments (about $0.013 as counted, 4 characters a token) fit in $0.014; it costs $0.011
    // (1000 in, 1 out), and then the second call's worst case would pass the limit.
    await using s = await stack({
      GLASSBOX_BUDGETS: JSON.stringify([{ scope: "run", limit_usd: 0.014 }]),
      GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS: "5",
    }, [{
      kind: "tool_calls",
      text: ["Checking the time first. "],
      calls: [{ id: "c1", name: "clock", argFragments: ['{"timezone":"UTC"}'] }],
      usage: { prompt_tokens: 1000, completion_tokens: 1 },
    }]);
    const run = await s.t.chat({ message: "What time is it?" });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(run.body.status, "stopped");
    assert.equal(s.llm.requests.length, 1, "the refused call was not sent");
    assert.equal(run.body.answer, "Checking the time first. ", "the partial answer is kept");
    const runId = run.body.run_id as string;
    const stop = stopOf(await s.t.events(runId));
    assert.equal(stop.kind, "budget");
    assert.equal(
      stop.message,
      `stopped: run budget $0.0140 reached at step ${stop.step}/${stop.totalSteps}`,
    );
    assert.ok(stop.step >= 2, "it stopped at the second model step, after the tool");
    assert.equal(stop.resetAt, null, "a run's budget never resets");
    assert.deepEqual(await runRow(s.t, runId), { status: "stopped", error: stop.message });
    assert.deepEqual((run.body.stopped as Record<string, unknown>).kind, "budget");
    // The answer so far is the conversation's assistant message.
    const [msg] = await s.t
      .sql`SELECT content FROM messages WHERE run_id = ${runId} AND role = 'assistant'`;
    assert.equal(msg.content, "Checking the time first. ");
    // Already at the limit, a user's daily budget refuses the very first call, naming its reset.
    await using s2 = await stack({
      GLASSBOX_BUDGETS: JSON.stringify([{ scope: "user", period: "day", limit_usd: 0 }]),
    }, []);
    const refused = await s2.t.chat({ message: "Hi" });
    assert.equal(refused.body.status, "stopped");
    assert.equal(s2.llm.requests.length, 0);
    const stop2 = stopOf(await s2.t.events(refused.body.run_id as string));
    assert.equal(stop2.message, "stopped: daily budget $0.00 reached at step 1/2");
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    assert.equal(stop2.resetAt, midnight.getTime());
  },
);

Deno.test({
  name:
    "budget: a stream is stopped when its running cost passes the limit; the partial answer and every call are kept",
  ignore,
}, async () => {
  // Output costs $0.001 a token (4 characters); the worst case assumes 10 output tokens, so the
  // call is allowed, and passes $0.03 about 120 characters into its answer.
  const words = Array.from({ length: 80 }, (_, i) => `w${String(i).padStart(2, "0")} `);
  await using s = await stack({
    GLASSBOX_BUDGETS: JSON.stringify([{ scope: "conversation", limit_usd: 0.03 }]),
    GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS: "10",
  }, [
    clockCall("c1"),
    { kind: "slow", chunks: words, delayMs: 5 },
  ]);
  const run = await s.t.chat({ message: "Tell me a long story" });
  assert.equal(run.body.status, "stopped", JSON.stringify(run.body));
  const runId = run.body.run_id as string;
  const answer = String(run.body.answer);
  assert.ok(answer.length > 50 && words.join("").startsWith(answer), answer);
  assert.ok(answer.length < words.join("").length, "cut before the end");
  assert.equal(await s.llm.requests[1].ended, "disconnected", "the HTTP stream was closed");
  const stop = stopOf(await s.t.events(runId));
  assert.equal(stop.kind, "budget");
  assert.match(stop.message, /^stopped: conversation budget \$0\.0300 reached at step \d+\/\d+$/);
  const calls = await s.t.sql`
    SELECT status, response FROM llm_calls WHERE run_id = ${runId} ORDER BY started_at`;
  assert.deepEqual(calls.map((c) => c.status), ["ok", "cancelled"], "both calls recorded");
  assert.ok(String(calls[1].response).startsWith(answer.slice(0, 40)));
  assert.deepEqual(await runRow(s.t, runId), { status: "stopped", error: stop.message });
});

Deno.test({
  name:
    "guards: LLM calls, sub-agent fan-out, wall clock and repeated tool calls each stop the run",
  ignore,
}, async (t) => {
  await t.step("max LLM calls", async () => {
    await using s = await stack({ GLASSBOX_RUN_MAX_LLM_CALLS: "2" }, [
      clockCall("c1"),
      {
        kind: "tool_calls",
        calls: [{ id: "c2", name: "clock", argFragments: ['{"timezone":"Asia/Tokyo"}'] }],
      },
    ]);
    const run = await s.t.chat({ message: "time?" });
    assert.equal(run.body.status, "stopped");
    assert.equal(s.llm.requests.length, 2);
    const stop = stopOf(await s.t.events(run.body.run_id as string));
    assert.equal(stop.kind, "llm_calls");
    assert.match(stop.message, /^stopped: 2 LLM calls, the most a run may make, reached at step/);
  });
  await t.step("max sub-agents", async () => {
    await using s = await stack({ GLASSBOX_RUN_MAX_SUBAGENTS: "1" }, [{
      kind: "tool_calls",
      calls: [
        { id: "a1", name: "ask_helper", argFragments: ['{"task":"one"}'] },
        { id: "a2", name: "ask_helper", argFragments: ['{"task":"two"}'] },
      ],
    }]);
    const run = await s.t.chat({ message: "fan out" });
    assert.equal(run.body.status, "stopped");
    const stop = stopOf(await s.t.events(run.body.run_id as string));
    assert.equal(stop.kind, "subagents");
    assert.match(stop.message, /^stopped: 1 sub-agent runs, the most a run may start, reached/);
    assert.equal(
      s.llm.requests.length,
      1,
      "the first helper's call was stopped before it was sent",
    );
  });
  await t.step("wall clock", async () => {
    await using s = await stack({ GLASSBOX_RUN_MAX_SECONDS: "1" }, [
      { kind: "stall", afterChunks: ["Thinking"] },
    ]);
    const run = await s.t.chat({ message: "slow" });
    assert.equal(run.body.status, "stopped");
    assert.equal(run.body.answer, "Thinking");
    const stop = stopOf(await s.t.events(run.body.run_id as string));
    assert.equal(stop.kind, "wall_clock");
    assert.match(stop.message, /^stopped: wall-clock limit of 1 s reached at step 1\/2$/);
    assert.equal(await s.llm.requests[0].ended, "disconnected");
    const [row] = await s.t.sql`SELECT status FROM llm_calls WHERE run_id = ${run.body
      .run_id as string}`;
    assert.equal(row.status, "cancelled");
  });
  await t.step("same tool, same arguments", async () => {
    await using s = await stack({ GLASSBOX_RUN_MAX_REPEATS: "2" }, [
      clockCall("c1"),
      clockCall("c2"),
      clockCall("c3"),
    ]);
    const run = await s.t.chat({ message: "loop" });
    assert.equal(run.body.status, "stopped");
    const events = await s.t.events(run.body.run_id as string);
    const stop = stopOf(events);
    assert.equal(stop.kind, "repeated_tool");
    assert.match(
      stop.message,
      /^stopped: clock called 3 times with the same arguments \(at most 2\)/,
    );
    assert.equal(events.filter((e) => e.type === "TOOL_CALL_RESULT").length, 2);
  });
});

Deno.test({
  name:
    "unpriced policy: allow runs unchecked, tokens counts them against token limits, refuse sends nothing",
  ignore,
}, async () => {
  const budgets = JSON.stringify([{ scope: "user", period: "day", limit_tokens: 1000 }]);
  const env = {
    BOSS_MODEL: "p/free-form",
    GLASSBOX_BUDGETS: budgets,
    GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS: "100",
  };
  const big = { prompt_tokens: 900, completion_tokens: 50 };
  {
    await using s = await stack({ ...env, GLASSBOX_UNPRICED: "allow" }, [
      clockCall("c1", big),
      { kind: "text", chunks: ["Noon."] },
    ], "p/free-form");
    const run = await s.t.chat({ message: "time?" });
    assert.equal(run.body.status, "succeeded", "unpriced calls are not checked");
    assert.equal(run.body.answer, "Noon.");
    assert.equal((run.body.usage as { cost_usd: unknown }).cost_usd, null, "unknown, not $0");
  }
  {
    await using s = await stack(
      { ...env, GLASSBOX_UNPRICED: "tokens" },
      [clockCall("c1", big)],
      "p/free-form",
    );
    const run = await s.t.chat({ message: "time?" });
    assert.equal(run.body.status, "stopped");
    assert.equal(s.llm.requests.length, 1);
    const stop = stopOf(await s.t.events(run.body.run_id as string));
    assert.match(stop.message, /^stopped: daily budget 1,000 tokens reached at step/);
  }
  {
    await using s = await stack({ ...env, GLASSBOX_UNPRICED: "refuse" }, [], "p/free-form");
    const run = await s.t.chat({ message: "time?" });
    assert.equal(run.body.status, "stopped");
    assert.equal(s.llm.requests.length, 0);
    const stop = stopOf(await s.t.events(run.body.run_id as string));
    assert.equal(stop.kind, "unpriced");
    assert.equal(
      stop.message,
      "stopped: model free-form has no price and unpriced calls are refused at step 1/2",
    );
  }
});

Deno.test({
  name: "warnings: announced once per threshold crossing, across runs; live cost after each call",
  ignore,
}, async () => {
  // Each call costs $0.011 (1000 in, 1 out); the daily budget is $0.04, warning at 50%.
  const usage = { prompt_tokens: 1000, completion_tokens: 1 };
  await using s = await stack({
    GLASSBOX_BUDGETS: JSON.stringify([{
      scope: "user",
      period: "day",
      limit_usd: 0.04,
      warn_percent: 50,
    }]),
    GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS: "1",
  }, [
    { kind: "text", chunks: ["one"], usage },
    { kind: "text", chunks: ["two"], usage },
    { kind: "text", chunks: ["three"], usage },
  ]);
  const warnings: BudgetWarningValue[][] = [];
  const costs: RunCostValue[][] = [];
  for (const message of ["1", "2", "3"]) {
    const run = await s.t.chat({ message });
    assert.equal(run.body.status, "succeeded", JSON.stringify(run.body));
    const events = await s.t.events(run.body.run_id as string);
    warnings.push(customValues<BudgetWarningValue>(events, CUSTOM.budgetWarning));
    costs.push(customValues<RunCostValue>(events, CUSTOM.runCost));
  }
  assert.deepEqual(warnings.map((w) => w.length), [0, 1, 0], "crossed 50% in the second run only");
  const w = warnings[1][0];
  assert.equal(w.threshold, "warning");
  assert.equal(w.percent, 55);
  assert.equal(w.message, "daily budget $0.0400: 55% used ($0.0220)");
  assert.equal(w.budget.label, "daily budget $0.0400");
  const [{ n }] = await s.t.sql`SELECT count(*)::int AS n FROM budget_crossings`;
  assert.equal(n, 1);
  // Live cost: at the call's start (in flight, its worst case) and after it.
  const [started, ended] = costs[2];
  assert.equal(started.inFlight.calls, 1);
  assert.ok(started.inFlight.usd! > 0);
  assert.equal(ended.inFlight.calls, 0);
  assert.equal(ended.llmCalls, 1);
  assert.equal(ended.costUsd, 0.011);
  assert.equal(ended.budget?.label, "daily budget $0.0400");
  assert.ok(Math.abs(ended.budget!.spent - 0.033) < 1e-9, String(ended.budget?.spent));
});

Deno.test({
  name: "admin: budgets and the unpriced policy set over the API apply to the next call",
  ignore,
}, async () => {
  await using s = await stack({}, [{ kind: "text", chunks: ["Fine."] }]);
  const api = (path: string, body?: unknown) =>
    fetch(`${s.t.gb.url}/api/v1/admin${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  assert.equal((await s.t.chat({ message: "one" })).body.status, "succeeded");
  // Bad budgets are 400s that say what is wrong.
  for (
    const [bad, why] of [
      [{ scope: "user", limit_usd: 1 }, "needs a period"],
      [{ scope: "run" }, "needs limit_usd or limit_tokens"],
      [{ scope: "run", period: "day", limit_usd: 1 }, "has no period"],
      [{ scope: "global", period: "day", subject: "x", limit_usd: 1 }, "only user and agent"],
      [{ scope: "user", period: "day", subject: "nobody@example.com", limit_usd: 1 }, "no user"],
      [{ scope: "run", limit_usd: -1 }, "greater than or equal to 0"],
      [{ scope: "run", limit_usd: 1, extra: true }, "Unrecognized key"],
    ] as const
  ) {
    const res = await api("/budgets", bad);
    assert.equal(res.status, 400, JSON.stringify(bad));
    assert.match((await res.json()).error.message, new RegExp(why));
  }
  const set = await api("/budgets", { scope: "user", period: "month", limit_usd: 0 });
  assert.equal(set.status, 200);
  const { budget } = await set.json();
  assert.equal(budget.name, "monthly budget");
  assert.equal(budget.source, "admin");
  const refused = await s.t.chat({ message: "two" });
  assert.equal(refused.body.status, "stopped", "the next call is checked against it");
  assert.equal(
    (refused.body.stopped as { message: string }).message,
    "stopped: monthly budget $0.00 reached at step 1/2",
  );
  assert.equal((await api(`/budgets/${budget.id}/delete`, {})).status, 204);
  assert.equal((await api(`/budgets/${budget.id}/delete`, {})).status, 404);
  const policy = await api("/cost-settings", { unpriced: "refuse" });
  assert.equal((await policy.json()).unpriced, "refuse");
  const listed = await (await api("/budgets")).json();
  assert.deepEqual(listed.budgets, []);
  const [audited] = await s.t.sql`
    SELECT count(*)::int AS n FROM audit_log
    WHERE action IN ('budget_set', 'budget_removed', 'cost_setting_changed')`;
  assert.equal(audited.n, 3);
  // The page lists what is in force.
  await api("/budgets", { scope: "run", limit_tokens: 5000, warn_percent: 90 });
  const page = await (await fetch(`${s.t.gb.url}/admin/budgets`)).text();
  assert.match(page, /run budget/);
  assert.match(page, /5,000/);
});

Deno.test({
  name:
    "budget: a stream cut by a budget is recorded with an estimate (the provider sent no usage), and the estimate counts: the user's next call is refused",
  ignore,
}, async () => {
  // Output costs $0.001 a token (4 characters); the worst case (the prompt, 10 tokens out) fits
  // the user's $0.03 a day, and the stream passes it about 110 characters in, so it is cut
  // before its usage chunk: input_tokens, output_tokens and cost_usd stay NULL.
  const words = Array.from({ length: 80 }, (_, i) => `w${String(i).padStart(2, "0")} `);
  await using s = await stack({
    GLASSBOX_BUDGETS: JSON.stringify([{ scope: "user", period: "day", limit_usd: 0.03 }]),
    GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS: "10",
  }, [
    { kind: "slow", chunks: words, delayMs: 5 },
    { kind: "text", chunks: ["never sent"] },
  ]);
  const run = await s.t.chat({ message: "Tell me a long story" });
  assert.equal(run.body.status, "stopped", JSON.stringify(run.body));
  const runId = run.body.run_id as string;
  assert.match(stopOf(await s.t.events(runId)).message, /^stopped: daily budget \$0\.0300/);
  const [row] = await s.t.sql`
    SELECT id, status, response, input_tokens, output_tokens, cost_usd, usage_source,
      estimated_input_tokens, estimated_output_tokens, estimated_cost_usd::float8 AS estimated
    FROM llm_calls WHERE run_id = ${runId}`;
  assert.equal(row.status, "cancelled");
  assert.deepEqual(
    [row.input_tokens, row.output_tokens, row.cost_usd, row.usage_source],
    [null, null, null, "none"],
    "what the provider did not report stays unknown",
  );
  // The pre-flight's estimator: 4 characters of the prompt's JSON (messages and tools, as sent)
  // a token; the output that arrived likewise; priced at $10 and $1000 per million.
  const sent = s.llm.requests[0].body;
  const inputTokens = Math.ceil(JSON.stringify([sent.messages, sent.tools ?? []]).length / 4);
  const outputTokens = Math.ceil(String(row.response).length / 4);
  assert.equal(row.estimated_input_tokens, inputTokens);
  assert.equal(row.estimated_output_tokens, outputTokens);
  const usd = Math.round((inputTokens * 10 + outputTokens * 1000) / 1e6 * 1e8) / 1e8;
  assert.equal(row.estimated, usd);
  assert.ok(usd > 0.03, `the cut call's estimate (${usd}) passed the limit`);
  // Shown where the call is shown.
  const page = await (await fetch(`${s.t.gb.url}/calls/${row.id}`)).text();
  assert.ok(
    page.includes(`≈ ${formatUsd(usd)} (estimated: the provider reported no usage)`),
    "the call's page shows the estimate",
  );

  // The estimate counts: the same user's next run is refused before its first call is sent.
  const next = await s.t.chat({ message: "And another one" });
  assert.equal(next.body.status, "stopped", JSON.stringify(next.body));
  assert.equal(s.llm.requests.length, 1, "the next call was never sent");
  const stop = stopOf(await s.t.events(next.body.run_id as string));
  assert.match(stop.message, /^stopped: daily budget \$0\.0300 reached at step 1\//);
});
