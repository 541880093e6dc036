/**
 * /metrics over real HTTP with a real Postgres and a scripted model: who may read it (the
 * metrics token, an admin signed in or with an admin-scoped key; nobody else), that the
 * exposition parses strictly, and that runs, LLM calls, tokens, cost, latencies, hub subscribers
 * and writes move when runs happen.
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { parseExposition } from "./support/prometheus.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { postJson, startGlassbox } from "./support/server.ts";
import { accountsOf, Browser } from "./support/users.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();
const ADMIN = { email: "root@example.com", password: "correct horse battery staple" };
const TOKEN = "scrape-" + "x".repeat(40);

Deno.test({ name: "metrics: access, and values that move with runs", ignore }, async () => {
  const db = await freshPostgres();
  const llm = startScriptedLlm([]);
  const gb = await startGlassbox({
    DATABASE_URL: db.url,
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "test",
    GLASSBOX_MODEL: "test-model",
    GLASSBOX_PRICES: '{"test-model":{"input":1,"output":2}}',
    GLASSBOX_LLM_MAX_ATTEMPTS: "1",
    GLASSBOX_ADMIN_EMAIL: ADMIN.email,
    GLASSBOX_ADMIN_PASSWORD: ADMIN.password,
    GLASSBOX_METRICS_TOKEN: TOKEN,
  });
  try {
    const accounts = accountsOf(gb);
    const member = await accounts.create("m@example.com");
    const memberKey = await member.bearer(["read", "chat"]);
    const adminId = (await db.sql`SELECT id FROM users WHERE email = ${ADMIN.email}`)[0].id;
    const keyOf = async (scopes: ("read" | "chat" | "admin")[]) => ({
      authorization: `Bearer ${
        (await gb.glassbox.deps.auth.keys.create({ userId: adminId, role: "admin" }, "k", scopes))
          .key
      }`,
    });
    const admin = new Browser(gb.url);
    await admin.signIn(ADMIN.email, ADMIN.password);
    const memberBrowser = new Browser(gb.url);
    await memberBrowser.signIn(member.email, member.password);

    const get = (headers: Record<string, string> = {}) => fetch(`${gb.url}/metrics`, { headers });
    const statusOf = async (res: Promise<Response>) => {
      const r = await res;
      await r.body?.cancel();
      return r.status;
    };
    assert.equal(await statusOf(get()), 401, "nobody");
    assert.equal(await statusOf(get({ authorization: `Bearer ${TOKEN}x` })), 401, "a wrong token");
    assert.equal(await statusOf(get(memberKey)), 403, "a member's key");
    assert.equal(await statusOf(memberBrowser.fetch("/metrics")), 403, "a member signed in");
    assert.equal(
      await statusOf(get(await keyOf(["read", "chat"]))),
      403,
      "an admin's key, no admin scope",
    );
    assert.equal(await statusOf(get(await keyOf(["read", "admin"]))), 200, "an admin-scoped key");
    assert.equal(await statusOf(admin.fetch("/metrics")), 200, "an admin signed in");
    const byToken = await get({ authorization: `Bearer ${TOKEN}` });
    assert.equal(byToken.status, 200, "the metrics token");
    assert.equal(byToken.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    assert.equal(byToken.headers.get("cache-control"), "no-store");
    const before = parseExposition(await byToken.text());
    const scrape = async () =>
      parseExposition(await (await get({ authorization: `Bearer ${TOKEN}` })).text());

    for (
      const [name, type] of [
        ["glassbox_runs_total", "counter"],
        ["glassbox_run_duration_seconds", "histogram"],
        ["glassbox_runs_active", "gauge"],
        ["glassbox_llm_calls_total", "counter"],
        ["glassbox_llm_tokens_total", "counter"],
        ["glassbox_llm_cost_usd_total", "counter"],
        ["glassbox_llm_call_duration_seconds", "histogram"],
        ["glassbox_llm_time_to_first_token_seconds", "histogram"],
        ["glassbox_hub_subscribers", "gauge"],
        ["glassbox_hub_topics", "gauge"],
        ["glassbox_hub_cut_off_total", "counter"],
        ["glassbox_hub_published_total", "counter"],
        ["glassbox_event_writer_queue_depth", "gauge"],
        ["glassbox_events_written_total", "counter"],
        ["glassbox_db_event_write_seconds", "histogram"],
        ["glassbox_db_ping_seconds", "gauge"],
        ["glassbox_db_up", "gauge"],
        ["glassbox_process_resident_memory_bytes", "gauge"],
      ]
    ) assert.equal(before.types.get(name), type, name);
    assert.equal(before.value("glassbox_db_up"), 1);
    assert.ok(before.value("glassbox_db_ping_seconds") > 0);
    assert.equal(before.value("glassbox_runs_total", { outcome: "succeeded" }), 0);

    // One run that succeeds (10 + 5 tokens) and one whose only call fails.
    llm.push({
      kind: "text",
      chunks: ["Hello", " there"],
      usage: { prompt_tokens: 10, completion_tokens: 5 },
    });
    const ok = await postJson(`${gb.url}/api/v1/chat`, { message: "hi" }, memberKey);
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    llm.push({ kind: "status", status: 400 });
    const failed = await postJson(`${gb.url}/api/v1/chat`, { message: "fail" }, memberKey);
    assert.equal(failed.status, 502);
    await failed.body?.cancel();

    const after = await scrape();
    const model = { model: "test-model" };
    assert.equal(after.value("glassbox_runs_total", { outcome: "succeeded" }), 1);
    assert.equal(after.value("glassbox_runs_total", { outcome: "failed" }), 1);
    assert.equal(after.value("glassbox_run_duration_seconds_count", { outcome: "succeeded" }), 1);
    const calls = (status: string) =>
      after.value("glassbox_llm_calls_total", { provider: "default", ...model, status });
    assert.equal(calls("ok"), 1);
    assert.equal(calls("error"), 1);
    assert.equal(after.value("glassbox_llm_tokens_total", { ...model, kind: "input" }), 10);
    assert.equal(after.value("glassbox_llm_tokens_total", { ...model, kind: "output" }), 5);
    // 10 input tokens at $1/M and 5 output at $2/M.
    assert.ok(Math.abs(after.value("glassbox_llm_cost_usd_total", model) - 20e-6) < 1e-12);
    assert.equal(
      after.value("glassbox_llm_call_duration_seconds_count", { ...model, status: "ok" }),
      1,
    );
    assert.equal(after.value("glassbox_llm_time_to_first_token_seconds_count", model), 1);
    assert.ok(
      after.value("glassbox_events_written_total") > before.value("glassbox_events_written_total"),
    );
    assert.ok(
      after.value("glassbox_hub_published_total") > before.value("glassbox_hub_published_total"),
    );
    assert.ok(after.value("glassbox_db_event_write_seconds_count", { result: "ok" }) > 0);
    assert.equal(after.value("glassbox_event_writer_queue_depth"), 0);

    // A run still going, followed by one SSE client: active and subscribed while it lasts.
    llm.push({ kind: "stall", afterChunks: ["thinking"] });
    const stream = await postJson(`${gb.url}/api/v1/chat/stream`, { message: "long" }, memberKey);
    const runId = stream.headers.get("x-run-id")!;
    const during = await scrape();
    assert.equal(during.value("glassbox_runs_active"), 1);
    assert.ok(during.value("glassbox_hub_subscribers") >= 1);
    const done = gb.glassbox.deps.runs.whenDone(runId);
    gb.glassbox.deps.runs.cancel(runId);
    await done;
    await stream.text();
    await waitFor(
      async () => (await scrape()).value("glassbox_runs_total", { outcome: "cancelled" }) === 1,
      "the cancelled run counted",
    );
    const end = await scrape();
    assert.equal(end.value("glassbox_runs_active"), 0);
    assert.equal(end.value("glassbox_hub_subscribers"), 0);
    assert.equal(
      end.value("glassbox_llm_calls_total", { provider: "default", ...model, status: "cancelled" }),
      1,
    );
  } finally {
    await gb.close();
    await llm.close();
    await db.close();
  }
});
