import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "../../../tests/support/db.ts";
import type { Sql } from "../../../db/client.ts";
import { periodStart } from "../../llm/usage_period.ts";
import { usageCapability } from "../../runs/usage_capability.ts";
import { costPhrase, llmUsageTool } from "./llm_usage.ts";
import type { ToolContext, UsageQuery } from "../../runtime/types.ts";
import { EVERYONE, type OwnerScope } from "../../../db/owner.ts";
import { insertUser } from "../../../tests/support/users.ts";

const ignore = await skipWithoutPostgres();
const NOW = new Date("2026-11-17T12:00:00Z");
const CONV_A = crypto.randomUUID();
const CONV_B = crypto.randomUUID();
const HOUR = 3_600_000;

type UserName = "u1" | "u2" | "u3";
type Users = Record<UserName, string>;

interface CallRow {
  conv: string | null;
  user: UserName;
  agent: string | null;
  model: string;
  status?: "ok" | "error" | "timeout" | "cancelled";
  tokens?: [number, number] | null;
  cost: number | null;
  durationMs: number;
  ttftMs: number | null;
  ago: number;
}

async function insertCall(sql: Sql, users: Users, r: CallRow) {
  const started = new Date(NOW.getTime() - r.ago);
  const tokens = r.tokens === undefined ? null : r.tokens;
  await sql`
    INSERT INTO llm_calls (id, span_id, conversation_id, user_id, agent_name, operation, provider,
      request_model, input_tokens, output_tokens, usage_source, cost_usd, started_at,
      first_chunk_at, ended_at, duration_ms, status)
    VALUES (${crypto.randomUUID()}, ${crypto.randomUUID().slice(0, 16)}, ${r.conv}, ${
    users[r.user]
  },
      ${r.agent}, 'chat', 'test', ${r.model}, ${tokens?.[0] ?? null}, ${tokens?.[1] ?? null},
      ${tokens ? "provider" : "none"}, ${r.cost}, ${started},
      ${r.ttftMs === null ? null : new Date(started.getTime() + r.ttftMs)},
      ${new Date(started.getTime() + r.durationMs)}, ${r.durationMs}, ${r.status ?? "ok"})`;
}

/** Three users' calls; returns the users' ids by name. */
async function seed(sql: Sql): Promise<Users> {
  const users: Users = {
    u1: await insertUser(sql, "u1@example.com"),
    u2: await insertUser(sql, "u2@example.com"),
    u3: await insertUser(sql, "u3@example.com"),
  };
  const rows: CallRow[] = [
    {
      conv: CONV_A,
      user: "u1",
      agent: "glassbox",
      model: "gpt-4o-mini",
      tokens: [100, 20],
      cost: 0.00003,
      durationMs: 800,
      ttftMs: 200,
      ago: HOUR,
    },
    {
      conv: CONV_A,
      user: "u1",
      agent: "usage_analyst",
      model: "gpt-4o-mini",
      tokens: [300, 50],
      cost: 0.00007,
      durationMs: 1200,
      ttftMs: 400,
      ago: HOUR,
    },
    {
      conv: CONV_A,
      user: "u1",
      agent: "glassbox",
      model: "local-llama",
      tokens: [50, 10],
      cost: null,
      durationMs: 400,
      ttftMs: 100,
      ago: 2 * HOUR,
    },
    {
      conv: CONV_B,
      user: "u2",
      agent: "glassbox",
      model: "local-llama",
      status: "error",
      cost: null,
      durationMs: 100,
      ttftMs: null,
      ago: 72 * HOUR,
    },
    {
      conv: CONV_B,
      user: "u2",
      agent: "utility",
      model: "gpt-4o-mini",
      status: "timeout",
      cost: null,
      durationMs: 30_000,
      ttftMs: null,
      ago: 240 * HOUR,
    },
    {
      conv: null,
      user: "u3",
      agent: null,
      model: "glassbox-demo",
      tokens: [10, 5],
      cost: 0,
      durationMs: 50,
      ttftMs: 10,
      ago: 960 * HOUR,
    },
  ];
  for (const r of rows) await insertCall(sql, users, r);
  return users;
}

type Ask = Partial<UsageQuery & { conversationId: string; user: UserName; admin: boolean }>;

/** What a run may read: an admin's everything, a member's their own. */
const visible = (userId: string, admin: boolean): OwnerScope => ({
  owner: admin ? EVERYONE : userId,
});

/**
 * What a run's tools see (the run manager's capability), at NOW, for a run in CONV_A of u1, an
 * admin unless told otherwise.
 */
function usageReport(sql: Sql, users: Users, ask: Ask) {
  const q = { scope: "all", period: "all", conversationId: CONV_A, user: "u1", ...ask } as const;
  const userId = users[q.user];
  return usageCapability(sql, {
    conversationId: q.conversationId,
    userId,
    visible: visible(userId, q.admin ?? true),
  }, () => NOW)({ scope: q.scope, period: q.period });
}

/** The context of a tool running in `conversationId` for `userId`. */
const toolContext = (sql: Sql, conversationId: string, userId: string, admin = true) =>
  ({
    conversationId,
    userId,
    usage: usageCapability(sql, { conversationId, userId, visible: visible(userId, admin) }),
  }) as ToolContext;

Deno.test({
  name: "usage: totals, medians, by model and by agent; unknown cost stays null",
  ignore,
  async fn() {
    const db = await freshPostgres();
    try {
      const users = await seed(db.sql);
      const r = await usageReport(db.sql, users, {});
      const { costUsd, ...rest } = r.totals;
      assert.ok(Math.abs(costUsd! - 0.0001) < 1e-12, String(costUsd));
      assert.deepEqual(rest, {
        calls: 6,
        inputTokens: 460,
        outputTokens: 85,
        callsWithoutTokens: 2,
        callsWithoutCost: 3,
        unpricedTokens: 60, // local-llama has no price: its 50 + 10
        errors: 1,
        timeouts: 1,
        cancelled: 0,
        p50LatencyMs: 600, // median of the ok calls 50, 400, 800, 1200
        p50TtftMs: 150, // median of 10, 100, 200, 400
      });
      assert.deepEqual(r.byModel.map((g) => [g.model, g.calls, g.costUsd === null]), [
        ["gpt-4o-mini", 3, false],
        ["local-llama", 2, true],
        ["glassbox-demo", 1, false],
      ]);
      assert.equal(r.byModel[2].costUsd, 0); // a known zero price is a real zero
      assert.deepEqual(r.byAgent.map((g) => [g.agent, g.calls]), [
        ["glassbox", 3],
        ["(unnamed)", 1],
        ["usage_analyst", 1],
        ["utility", 1],
      ]);
    } finally {
      await db.close();
    }
  },
});

Deno.test({
  name: "usage: scopes and periods filter the rows",
  ignore,
  async fn() {
    const db = await freshPostgres();
    try {
      const users = await seed(db.sql);
      const calls = async (f: Ask) => (await usageReport(db.sql, users, f)).totals.calls;
      assert.equal(await calls({ scope: "conversation" }), 3);
      assert.equal(await calls({ scope: "user", user: "u2" }), 2);
      assert.equal(await calls({ scope: "user", user: "u3" }), 1);
      // "all" is what the run's user may see: everything for an admin, their own for a member.
      assert.equal(await calls({ scope: "all", user: "u2" }), 6);
      assert.equal(await calls({ scope: "all", user: "u2", admin: false }), 2);
      // Another user's conversation counts nothing for a member.
      assert.equal(await calls({ scope: "conversation", user: "u2", admin: false }), 0);
      assert.equal(await calls({ period: "today" }), 3);
      assert.equal(await calls({ period: "7d" }), 4);
      assert.equal(await calls({ period: "30d" }), 5);
      assert.equal(await calls({ scope: "conversation", conversationId: crypto.randomUUID() }), 0);
      assert.equal(periodStart("today", NOW)?.toISOString(), "2026-11-17T00:00:00.000Z");
      const u2 = await usageReport(db.sql, users, { scope: "user", user: "u2" });
      assert.equal(u2.totals.costUsd, null);
      assert.equal(u2.totals.p50LatencyMs, null); // no successful call
      assert.equal(costPhrase(u2.totals), "cost unknown");
    } finally {
      await db.close();
    }
  },
});

Deno.test({
  name: "llm_usage tool: readable report for the context's conversation/user; bad args rejected",
  ignore,
  async fn() {
    const db = await freshPostgres();
    try {
      const users = await seed(db.sql);
      const ctx = toolContext(db.sql, CONV_A, users.u2);
      const mine = await llmUsageTool.run({ scope: "user" }, ctx);
      assert.match(mine, /^LLM usage for your conversations since records began: \*\*2 calls\*\*/);
      assert.match(mine, /token counts unknown, cost unknown\./);
      assert.match(mine, /1 error, 1 timeout, 0 cancelled/);
      assert.doesNotMatch(mine, /\$0/);

      // u1's run in u1's conversation CONV_A.
      const conv = await llmUsageTool.run(
        { scope: "conversation", period: "all" },
        toolContext(db.sql, CONV_A, users.u1),
      );
      assert.match(
        conv,
        /\*\*3 calls\*\*, 450 input \+ 80 output tokens, \$0\.000100 \(cost unknown for 1 call\)/,
      );
      assert.match(conv, /Median latency 800 ms; median time to first token 200 ms/);
      assert.match(
        conv,
        /By model:\n- gpt-4o-mini: 2 calls, .*\$0\.000100\n- local-llama: 1 call, 50 input \+ 10 output tokens, cost unknown/,
      );
      assert.match(conv, /By agent:\n- glassbox: 2 calls/);

      const everything = await llmUsageTool.run({}, ctx); // defaults: all, all
      assert.match(
        everything,
        /^LLM usage for all of Glassbox since records began: \*\*6 calls\*\*/,
      );
      assert.match(everything, /- glassbox-demo: 1 call, 10 input \+ 5 output tokens, \$0\.00/);

      const none = await llmUsageTool.run(
        { scope: "conversation" },
        toolContext(db.sql, crypto.randomUUID(), users.u2),
      );
      assert.equal(none, "No LLM calls are recorded for this conversation since records began.");
      await assert.rejects(llmUsageTool.run({ scope: "galaxy" }, ctx), /"scope" must be one of/);
      await assert.rejects(llmUsageTool.run({ period: "1y" }, ctx), /"period" must be one of/);
      assert.equal(llmUsageTool.progressMessage?.({}), "Adding up token usage");
    } finally {
      await db.close();
    }
  },
});
