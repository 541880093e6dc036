/**
 * Over real HTTP with a fresh Postgres: /health (healthy, and degraded when the model endpoint is
 * down), the live log tail with resume, llm-calls pagination and filters, conversations.
 */
import assert from "node:assert/strict";
import denoConfig from "../deno.json" with { type: "json" };
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { postJson, startGlassbox } from "./support/server.ts";
import { connectSse, type SseMessage, sseMessages, takeMessages } from "./support/sse_client.ts";
import { accountsOf } from "./support/users.ts";

const ignore = await skipWithoutPostgres();

async function getJson(url: string) {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

/** A loopback port nothing listens on. */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test(
  { name: "health: ok with Postgres and the demo model; degraded model", ignore },
  async () => {
    const db = await freshPostgres();
    const gb = await startGlassbox({ DATABASE_URL: db.url });
    const down = await startGlassbox({
      DATABASE_URL: db.url,
      OPENAI_BASE_URL: `http://127.0.0.1:${closedPort()}/v1`,
      OPENAI_API_KEY: "test",
    });
    try {
      const ok = await getJson(`${gb.url}/health`);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.status, "ok");
      assert.equal(ok.body.version, denoConfig.version);
      assert.equal(ok.body.database.ok, true);
      assert.equal(ok.body.database.kind, "postgres");
      assert.equal(ok.body.database.error, null);
      assert.doesNotMatch(ok.body.database.location, /password|@/);
      assert.equal(ok.body.model.demo, true);
      assert.equal(ok.body.model.ok, true);
      assert.equal(ok.body.model.name, "glassbox-demo");

      const bad = await getJson(`${down.url}/health`);
      assert.equal(bad.status, 200, "a model outage is not a database outage");
      assert.equal(bad.body.status, "degraded");
      assert.equal(bad.body.database.ok, true);
      assert.equal(bad.body.model.ok, false);
      assert.equal(bad.body.model.demo, false);
      assert.match(bad.body.model.detail, /unreachable/);
    } finally {
      await down.close();
      await gb.close();
      await db.close();
    }
  },
);

const envelope = (m: SseMessage) => JSON.parse(m.data);

Deno.test({ name: "logs stream: a run's records arrive live; resume", ignore }, async () => {
  const db = await freshPostgres();
  // A slow demo model, so the run is still going while its first records arrive.
  const gb = await startGlassbox({ DATABASE_URL: db.url, GLASSBOX_DEMO_DELAY_MS: "15" });
  const ac = new AbortController();
  try {
    // kind=run: the tail also carries request records (the chat's POST among them).
    const tail = `${gb.url}/api/v1/logs/stream?kind=run`;
    const res = await connectSse(tail, { signal: ac.signal });
    assert.match(res.headers.get("content-type")!, /text\/event-stream/);
    const seen: { m: SseMessage; at: number }[] = [];
    const reading = (async () => {
      for await (const m of sseMessages(res.body!, ac.signal)) seen.push({ m, at: Date.now() });
    })();

    const chat = await postJson(`${gb.url}/api/v1/chat`, { message: "What is 17 * 23?" });
    const answeredAt = Date.now();
    const { run_id: runId } = await chat.json();
    const [{ n }] = await db.sql`
      SELECT count(*)::int AS n FROM events WHERE run_id = ${runId} AND name = 'glassbox.log'`;
    assert.ok(n >= 4, "the run logged");
    for (let i = 0; i < 200 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await reading;

    const records = seen.map((s) => envelope(s.m));
    assert.equal(records.length, n, "exactly this run's records");
    assert.ok(seen[0].at < answeredAt, "the first record arrived while the run was going");
    for (const [i, r] of records.entries()) {
      assert.equal(r.runId, runId);
      assert.equal(String(r.id), seen[i].m.id, "SSE id is the event id");
      assert.equal(r.event.type, "CUSTOM");
      assert.equal(r.event.name, "glassbox.log");
      assert.ok(["info", "debug", "warning"].includes(r.event.value.level));
      assert.equal(typeof r.event.value.message, "string");
      assert.ok(["glassbox", "utility"].includes(r.event.value.agent));
    }
    assert.ok(records.some((r) => r.event.value.agent === "utility"), "sub-agent records too");
    const ids = records.map((r) => r.id as number);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));

    // Reconnecting with Last-Event-ID gets only the newer records (now from the database).
    const cut = 2;
    const resumed = await takeMessages(
      (await connectSse(tail, { lastEventId: String(ids[cut]) })).body!,
      n - cut - 1,
    );
    assert.deepEqual(resumed.map((m) => envelope(m).id), ids.slice(cut + 1));
    // From the start: the whole backlog.
    const all = await takeMessages((await connectSse(tail)).body!, n);
    assert.deepEqual(all.map((m) => envelope(m).id), ids);
    const bad = await fetch(`${gb.url}/api/v1/logs/stream`, { headers: { "last-event-id": "x" } });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  } finally {
    ac.abort();
    await gb.close();
    await db.close();
  }
});

Deno.test({ name: "llm-calls pagination and filters; conversations", ignore }, async () => {
  const db = await freshPostgres();
  const gb = await startGlassbox({ DATABASE_URL: db.url });
  const api = `${gb.url}/api/v1`;
  try {
    const accounts = accountsOf(gb);
    const [ada, bob] = [
      await accounts.create("ada@example.com"),
      await accounts.create("bob@x.io"),
    ];
    const a =
      await (await postJson(`${api}/chat`, { message: "What is 17 * 23?" }, await ada.bearer()))
        .json();
    const b = await (await postJson(`${api}/chat`, { message: "Hello there" }, await bob.bearer()))
      .json();
    assert.equal(a.status, "succeeded");
    assert.equal(b.status, "succeeded");
    const [{ total }] = await db.sql`SELECT count(*)::int AS total FROM llm_calls`;
    assert.equal(total, a.usage.llm_calls + b.usage.llm_calls);

    // Walk every page of two.
    const walked: { id: string; startedAt: string; runId: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const page = await getJson(`${api}/llm-calls?limit=2${q}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.items.length <= 2);
      walked.push(...page.body.items);
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    assert.equal(pages, Math.ceil(total / 2));
    assert.equal(walked.length, total);
    assert.equal(new Set(walked.map((c) => c.id)).size, total, "no repeats");
    const times = walked.map((c) => Date.parse(c.startedAt));
    assert.deepEqual(times, [...times].sort((x, y) => y - x), "newest first");

    const ids = async (query: string) =>
      ((await getJson(`${api}/llm-calls?${query}`)).body.items as { id: string }[])
        .map((c) => c.id).sort();
    const idsOf = (pred: (c: (typeof walked)[number]) => boolean) =>
      walked.filter(pred).map((c) => c.id).sort();
    assert.deepEqual(await ids(`run_id=${a.run_id}`), idsOf((c) => c.runId === a.run_id));
    assert.equal((await ids(`run_id=${a.run_id}`)).length, 4);
    assert.deepEqual(await ids(`user_id=${bob.id}`), idsOf((c) => c.runId === b.run_id));
    assert.deepEqual(await ids("status=ok"), idsOf(() => true));
    assert.deepEqual(await ids("status=error"), []);
    assert.deepEqual(await ids("model=glassbox-demo"), idsOf(() => true));
    assert.deepEqual(await ids("model=gpt-4o"), []);
    // Run b started after run a ended: a time window splits them.
    const bStart = walked.filter((c) => c.runId === b.run_id).map((c) => c.startedAt).sort()[0];
    const from = encodeURIComponent(bStart);
    assert.deepEqual(await ids(`from=${from}`), idsOf((c) => c.runId === b.run_id));
    assert.deepEqual(await ids(`to=${from}`), idsOf((c) => c.runId === a.run_id));
    assert.deepEqual(await ids(`from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z`), []);
    assert.equal((await getJson(`${api}/llm-calls?from=yesterday`)).status, 400);

    // Conversations: newest first, filter by user, messages in order, 404 for unknown ones.
    const list = await getJson(`${api}/conversations`);
    assert.deepEqual(list.body.items.map((c: { id: string }) => c.id), [
      b.conversation_id,
      a.conversation_id,
    ]);
    const adas = await getJson(`${api}/conversations?user_id=${ada.id}`);
    assert.deepEqual(adas.body.items.map((c: { id: string }) => c.id), [a.conversation_id]);
    assert.equal(adas.body.items[0].messageCount, 2);
    assert.equal(adas.body.items[0].title, "What is 17 * 23?");
    const msgs = await getJson(`${api}/conversations/${a.conversation_id}/messages`);
    assert.equal(msgs.status, 200);
    assert.equal(msgs.body.conversation.id, a.conversation_id);
    assert.deepEqual(msgs.body.messages.map((m: { role: string }) => m.role), [
      "user",
      "assistant",
    ]);
    assert.equal(msgs.body.messages[1].content, a.answer);
    for (const id of [crypto.randomUUID(), "nope"]) {
      const r = await getJson(`${api}/conversations/${id}/messages`);
      assert.equal(r.status, 404, id);
      assert.equal(r.body.error.code, "not_found");
    }
    assert.equal((await getJson(`${api}/conversations?limit=0`)).status, 400);
  } finally {
    await gb.close();
    await db.close();
  }
});
