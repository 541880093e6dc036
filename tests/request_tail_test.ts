/**
 * Request records in the live log tail, over real HTTP with a real Postgres: an admin's tail
 * (JSON SSE and the page's HTML SSE) shows every request — members', and signed-out ones; a
 * member's tail shows only their own. Each record has the same id live and stored; a resume with
 * Last-Event-ID and a request_id filter work on them. And /metrics' request-record queue depth
 * rises while their table is locked and falls back once it is free.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { parseExposition } from "./support/prometheus.ts";
import { type SseMessage, sseMessages } from "./support/sse_client.ts";
import { startGlassbox, type TestServer } from "./support/server.ts";
import { accountsOf, Browser } from "./support/users.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();
const ADMIN = { email: "root@example.com", password: "correct horse battery staple" };

interface Envelope {
  id: number;
  runId: string;
  event: {
    name: string;
    value: {
      kind?: string;
      requestId?: string;
      userId?: string | null;
      level: string;
      category: string;
      message: string;
      properties: Record<string, unknown>;
    };
  };
}

/** Reads an SSE response in the background; `messages` fills as they arrive. */
function follow(res: Response, ac: AbortController) {
  assert.equal(res.status, 200);
  const messages: SseMessage[] = [];
  const done = (async () => {
    try {
      for await (const m of sseMessages(res.body!, ac.signal)) messages.push(m);
    } catch { /* aborted */ }
  })();
  const envelopes = () =>
    messages.filter((m) => m.data.startsWith("{")).map((m) => JSON.parse(m.data) as Envelope);
  const byRequest = (id: string) => envelopes().find((e) => e.event.value.requestId === id);
  return { messages, envelopes, byRequest, done };
}

async function setup() {
  const db = await freshPostgres();
  const gb = await startGlassbox({
    DATABASE_URL: db.url,
    GLASSBOX_ADMIN_EMAIL: ADMIN.email,
    GLASSBOX_ADMIN_PASSWORD: ADMIN.password,
  });
  const accounts = accountsOf(gb);
  const [a, b] = [await accounts.create("a@example.com"), await accounts.create("b@example.com")];
  const signIn = async (email: string, password: string) => {
    const br = new Browser(gb.url);
    assert.equal((await br.signIn(email, password)).status, 303);
    return br;
  };
  return {
    db,
    gb,
    a,
    b,
    admin: await signIn(ADMIN.email, ADMIN.password),
    asA: await signIn(a.email, a.password),
    asB: await signIn(b.email, b.password),
  };
}

const request = async (br: Browser | TestServer, requestId: string) => {
  const path = `/api/v1/runs/${crypto.randomUUID()}`;
  const headers = { "x-request-id": requestId };
  const res = br instanceof Browser
    ? await br.fetch(path, { headers })
    : await fetch(`${br.url}${path}`, { headers });
  await res.body?.cancel();
  return res.status;
};

Deno.test(
  { name: "request tail: who sees which requests live; ids, resume, filters", ignore },
  async () => {
    const { db, gb, a, admin, asA, asB } = await setup();
    const ac = new AbortController();
    try {
      const adminJson = follow(
        await admin.fetch("/api/v1/logs/stream?kind=http", { signal: ac.signal }),
        ac,
      );
      const adminHtml = follow(
        await admin.fetch("/logs/live?kind=http&after=0", { signal: ac.signal }),
        ac,
      );
      const aJson = follow(await asA.fetch("/api/v1/logs/stream", { signal: ac.signal }), ac);

      assert.equal(await request(asA, "req-a-1"), 404);
      assert.equal(await request(asB, "req-b-1"), 404);
      assert.equal(await request(gb, "req-anon-1"), 401);

      // The admin sees all three, the member's and the signed-out one included.
      await waitFor(
        () => ["req-a-1", "req-b-1", "req-anon-1"].every((id) => adminJson.byRequest(id)),
        "the admin's tail to show every request",
      );
      const live = adminJson.byRequest("req-a-1")!;
      assert.equal(live.event.name, "glassbox.log");
      assert.equal(live.runId, "");
      assert.equal(live.event.value.kind, "http");
      assert.equal(live.event.value.userId, a.id);
      assert.equal(live.event.value.level, "warning");
      assert.equal(live.event.value.category, "glassbox.http");
      assert.equal(live.event.value.properties.status, 404);
      assert.equal(live.event.value.properties.method, "GET");
      assert.match(live.event.value.message, /^GET \/api\/v1\/runs\/\S+ 404 \d+ ms$/);
      assert.equal(adminJson.byRequest("req-anon-1")!.event.value.userId, null);
      assert.ok(adminJson.envelopes().every((e) => e.event.value.kind === "http"), "kind=http");
      // The page's live rows too (HTML), each naming its request.
      await waitFor(
        () => adminHtml.messages.some((m) => m.data.includes("req-b-1")),
        "the page's tail to show B's request",
      );

      // Stored under the same id.
      const stored = await waitFor(async () => {
        const [row] = await db.sql`SELECT id FROM log_records WHERE request_id = 'req-a-1'`;
        return row;
      }, "A's request stored");
      assert.equal(Number(stored.id), live.id);

      // A sees their own requests only: once A's next one arrives, B's and the signed-out one
      // (published before it, on the admins' topic only) can no longer come.
      assert.equal(await request(asA, "req-a-2"), 404);
      await waitFor(() => aJson.byRequest("req-a-2"), "A's second request in A's tail");
      assert.ok(aJson.byRequest("req-a-1"), "A's first request");
      assert.equal(aJson.byRequest("req-b-1"), undefined, "not B's request");
      assert.equal(aJson.byRequest("req-anon-1"), undefined, "not a signed-out request");
      assert.ok(
        aJson.envelopes().every((e) =>
          e.event.value.kind !== "http" || e.event.value.userId === a.id
        ),
        "only A's",
      );

      // A resume after req-a-1 gets what followed, not req-a-1 again.
      const resumed = follow(
        await asA.fetch("/api/v1/logs/stream?kind=http", {
          signal: ac.signal,
          headers: { "last-event-id": String(aJson.byRequest("req-a-1")!.id) },
        }),
        ac,
      );
      await waitFor(() => resumed.byRequest("req-a-2"), "the resumed tail to have req-a-2");
      assert.equal(resumed.byRequest("req-a-1"), undefined);
      // A request_id filter: just that request, from the backlog (stored or not yet).
      const one = follow(
        await admin.fetch("/api/v1/logs/stream?request_id=req-b-1", { signal: ac.signal }),
        ac,
      );
      await waitFor(() => one.byRequest("req-b-1"), "the filtered tail's backlog");
      assert.equal(await request(asB, "req-b-2"), 404);
      await waitFor(() => adminJson.byRequest("req-b-2"), "B's second request");
      assert.deepEqual(one.envelopes().map((e) => e.event.value.requestId), ["req-b-1"]);
    } finally {
      ac.abort();
      await gb.close();
      await db.close();
    }
  },
);

Deno.test(
  { name: "request tail: /metrics shows the request-record queue depth", ignore },
  async () => {
    const { db, gb, admin } = await setup();
    const locker = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const depth = async () =>
        parseExposition(await (await admin.fetch("/metrics")).text())
          .value("glassbox_log_record_queue_depth");
      const first = parseExposition(await (await admin.fetch("/metrics")).text());
      assert.equal(first.types.get("glassbox_log_record_queue_depth"), "gauge");
      assert.equal(first.types.get("glassbox_log_records_dropped_total"), "counter");
      await waitFor(async () => (await depth()) <= 1, "the queue to settle");

      // While log_records is locked, stored batches wait and new records queue up.
      let unlock!: () => void;
      const released = new Promise<void>((r) => unlock = r);
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => locked = r);
      const holding = locker.begin(async (tx) => {
        await tx`LOCK TABLE log_records IN ACCESS EXCLUSIVE MODE`;
        locked();
        await released;
      });
      await isLocked;
      for (let i = 0; i < 5; i++) assert.equal(await request(admin, `held-${i}`), 404);
      const held = await waitFor(async () => {
        const d = await depth();
        return d >= 4 ? d : null;
      }, "the queue to hold the requests made meanwhile");
      assert.ok(held >= 4, `${held}`);
      unlock();
      await holding;
      await waitFor(async () => (await depth()) <= 1, "the queue to drain");
      const [{ n }] = await db.sql`
      SELECT count(*)::int AS n FROM log_records WHERE request_id LIKE 'held-%'`;
      assert.equal(n, 5);
    } finally {
      await locker.end();
      await gb.close();
      await db.close();
    }
  },
);
