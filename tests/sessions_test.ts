/**
 * /sessions and GET /api/v1/sessions over real HTTP with a real Postgres: a member follows a live
 * run over JSON SSE (the run's own POST /api/v1/chat/stream), HTML SSE (the page's stream) and a
 * WebSocket; an admin sees exactly those counts per transport, on the run and on the member, in
 * the API, the page and /metrics — and sees them drop once the clients are gone. Members get 403.
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { parseDoc } from "./support/dom.ts";
import { parseExposition } from "./support/prometheus.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { startGlassbox } from "./support/server.ts";
import { accountsOf, Browser } from "./support/users.ts";
import { waitFor } from "./support/wait.ts";
import { connectWs } from "./support/ws_client.ts";
import { Sessions } from "../routes/api_docs/responses.ts";

const ignore = await skipWithoutPostgres();
const ADMIN = { email: "root@example.com", password: "correct horse battery staple" };

type Counts = {
  sse_json: number;
  sse_html: number;
  websocket: number;
  agui: number;
  total: number;
};
const counts = (sse_json: number, sse_html: number, websocket: number): Counts => ({
  sse_json,
  sse_html,
  websocket,
  agui: 0,
  total: sse_json + sse_html + websocket,
});
const NONE = counts(0, 0, 0);

Deno.test(
  { name: "sessions: subscribers per run, user and transport; admins only", ignore },
  async () => {
    const db = await freshPostgres();
    // The run's model call hangs after one chunk: the run stays active until it is cancelled.
    const llm = startScriptedLlm([{ kind: "stall", afterChunks: ["Thinking "] }]);
    const gb = await startGlassbox({
      DATABASE_URL: db.url,
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: "test",
      GLASSBOX_MODEL: "test-model",
      GLASSBOX_LLM_MAX_ATTEMPTS: "1",
      GLASSBOX_LLM_IDLE_TIMEOUT_MS: "600000",
      GLASSBOX_ADMIN_EMAIL: ADMIN.email,
      GLASSBOX_ADMIN_PASSWORD: ADMIN.password,
    });
    const aborts: AbortController[] = [];
    try {
      const a = await accountsOf(gb).create("a@example.com");
      const member = new Browser(gb.url);
      assert.equal((await member.signIn(a.email, a.password)).status, 303);
      const admin = new Browser(gb.url);
      assert.equal((await admin.signIn(ADMIN.email, ADMIN.password)).status, 303);

      // A member: 403 on both, a page for the page and the API's JSON error for the API.
      const page403 = await member.fetch("/sessions");
      assert.equal(page403.status, 403);
      assert.match(page403.headers.get("content-type") ?? "", /text\/html/);
      assert.match(await page403.text(), /Admins only/);
      const api403 = await member.fetch("/api/v1/sessions");
      assert.equal(api403.status, 403);
      assert.equal((await api403.json()).error.code, "forbidden");
      const memberKey = await a.bearer(["read", "chat"]);
      const key403 = await fetch(`${gb.url}/api/v1/sessions`, { headers: memberKey });
      assert.equal(key403.status, 403);
      await key403.body?.cancel();

      // Nothing followed yet.
      const sessions = async () => {
        const res = await admin.fetch("/api/v1/sessions");
        assert.equal(res.status, 200);
        return Sessions.parse(await res.json()) as unknown as {
          runs: { run_id: string; user_id: string; user: string; subscribers: Counts }[];
          users: { user_id: string; user: string; runs: Counts; logs: Counts }[];
          totals: Counts;
        };
      };
      assert.deepEqual((await sessions()).totals, NONE);

      // 1. JSON SSE: the member starts the run over the API and reads its stream.
      const json = new AbortController();
      aborts.push(json);
      const started = await member.fetch("/api/v1/chat/stream", {
        method: "POST",
        headers: { "content-type": "application/json", origin: gb.url },
        body: JSON.stringify({ message: "hello" }),
        signal: json.signal,
      });
      assert.equal(started.status, 200);
      const runId = started.headers.get("x-run-id")!;
      const conversationId = started.headers.get("x-conversation-id")!;
      const jsonReader = started.body!.getReader();
      await jsonReader.read();
      // 2. HTML SSE: the chat page's stream of the same run.
      const html = new AbortController();
      aborts.push(html);
      const htmlRes = await member.fetch(`/runs/${runId}/events`, {
        headers: { accept: "text/event-stream" },
        signal: html.signal,
      });
      assert.equal(htmlRes.status, 200);
      const htmlReader = htmlRes.body!.getReader();
      await htmlReader.read();
      // 3. A WebSocket follower.
      const ws = await connectWs(gb.url, {
        cookie: `gb_session=${member.session}`,
        origin: gb.url,
      });
      ws.send({ type: "subscribe", run_id: runId });
      await ws.next((m) => m.type === "event");

      const expected = counts(1, 1, 1);
      const s = await waitFor(async () => {
        const s = await sessions();
        return s.totals.total === 3 ? s : null;
      }, "three subscribers");
      assert.equal(s.runs.length, 1);
      const run = s.runs[0];
      assert.equal(run.run_id, runId);
      assert.equal(run.user_id, a.id);
      assert.equal(run.user, a.email);
      assert.deepEqual(run.subscribers, expected);
      assert.deepEqual(s.users, [{ user_id: a.id, user: a.email, runs: expected, logs: NONE }]);
      assert.deepEqual(s.totals, expected);

      // The page shows the same numbers, the run linking to its conversation.
      const pageRes = await admin.fetch("/sessions");
      assert.equal(pageRes.status, 200);
      const doc = parseDoc(await pageRes.text());
      const row = doc.querySelector(`#session-runs tr[data-run-id="${runId}"]`);
      assert.ok(row, "the run's row");
      assert.equal(row.querySelector("a").getAttribute("href"), `/c/${conversationId}`);
      assert.match(row.textContent, /a@example\.com/);
      const cells = (
        el: {
          querySelectorAll(s: string): { getAttribute(n: string): string; textContent: string }[];
        },
      ) =>
        Object.fromEntries(
          [...el.querySelectorAll("td[data-transport]")].map((td) => [
            td.getAttribute("data-transport"),
            Number(td.textContent),
          ]),
        );
      assert.deepEqual(cells(row), expected);
      const userRow = doc.querySelector(
        `#session-users tr[data-user-id="${a.id}"][data-what="runs"]`,
      );
      assert.deepEqual(cells(userRow), expected);
      assert.deepEqual(cells(doc.querySelector("#session-totals tbody tr")), expected);
      // Linked from the admin pages.
      const users = await (await admin.fetch("/admin/users")).text();
      assert.match(users, /href="\/sessions"/);

      // /metrics: the same counts by transport.
      const scrape = async () => parseExposition(await (await admin.fetch("/metrics")).text());
      const m = await scrape();
      assert.equal(m.types.get("glassbox_hub_subscribers_by_transport"), "gauge");
      for (const t of ["sse_json", "sse_html", "websocket"]) {
        assert.equal(m.value("glassbox_hub_subscribers_by_transport", { transport: t }), 1, t);
      }
      assert.equal(m.value("glassbox_hub_subscribers_by_transport", { transport: "agui" }), 0);

      // The clients go away: every count drops, while the run is still active.
      json.abort();
      html.abort();
      await jsonReader.cancel().catch(() => {});
      await htmlReader.cancel().catch(() => {});
      await ws.close();
      const after = await waitFor(async () => {
        const s = await sessions();
        return s.totals.total === 0 ? s : null;
      }, "no subscriber left");
      assert.equal(after.runs.length, 1, "the run is still active");
      assert.deepEqual(after.runs[0].subscribers, NONE);
      assert.deepEqual(after.users, []);
      await waitFor(async () => {
        const m = await scrape();
        return m.value("glassbox_hub_subscribers_by_transport", { transport: "websocket" }) === 0 &&
          m.value("glassbox_hub_subscribers_by_transport", { transport: "sse_json" }) === 0;
      }, "the gauge back at 0");
      gb.glassbox.deps.runs.cancel(runId);
      await gb.glassbox.deps.runs.whenDone(runId);
      await waitFor(
        async () => (await sessions()).runs.length === 0,
        "the run gone from /sessions",
      );
    } finally {
      for (const c of aborts) c.abort();
      await gb.close();
      await llm.close();
      await db.close();
    }
  },
);
