/**
 * The isolation matrix, over real HTTP with a real Postgres and sign-in on. Every route of the
 * app (Hono's own route list) must be in ACCESS below — a new route without an entry fails the
 * first test — and each class is checked: public routes answer a signed-out client; every other
 * route refuses one (401, or the sign-in page); admin routes refuse members (403); and every
 * owner-scoped route and stream is probed with member A's ids: A sees them, member B does not
 * (404 or not listed), an admin sees them (except continuing A's conversation, which only A may),
 * and an admin's user filter narrows to one user.
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startScriptedLlm } from "./support/scripted_llm.ts";
import { postJson, startGlassbox, type TestServer } from "./support/server.ts";
import { allMessages, type SseMessage, takeMessages } from "./support/sse_client.ts";
import { accountsOf, Browser, type TestAccount } from "./support/users.ts";
import { connectWs } from "./support/ws_client.ts";

const ignore = await skipWithoutPostgres();

type Access = "public" | "signed-in" | "owner" | "admin";

/** Every route of the app, by "METHOD path" as Hono lists it. */
const ACCESS: Record<string, Access> = {
  "GET /health": "public",
  "GET /assets/:file": "public",
  "GET /favicon.ico": "public",
  "GET /openapi.json": "public",
  "GET /docs": "public",
  "GET /sign-in": "public",
  "POST /sign-in": "public",
  "POST /sign-out": "public",
  "GET /auth/oidc/start": "public",
  "GET /auth/oidc/callback": "public",
  "GET /": "owner",
  "GET /c/:id": "owner",
  "POST /chat": "owner",
  "GET /runs/:id/events": "owner",
  "POST /runs/:id/cancel": "owner",
  "GET /calls": "owner",
  "GET /calls/:id": "owner",
  "GET /usage": "owner",
  "GET /agents": "signed-in",
  "GET /logs": "owner",
  "GET /logs/live": "owner",
  "GET /logs/clear": "admin",
  "GET /account": "signed-in",
  "POST /account/password": "signed-in",
  "POST /account/sessions/end": "owner",
  "GET /keys": "owner",
  "POST /keys": "signed-in",
  "POST /keys/:id/revoke": "owner",
  "GET /admin/users": "admin",
  "POST /admin/users": "admin",
  "POST /admin/users/:id/role": "admin",
  "POST /admin/users/:id/disable": "admin",
  "POST /admin/users/:id/enable": "admin",
  "POST /admin/users/:id/password": "admin",
  "POST /admin/users/:id/delete": "admin",
  "POST /admin/users/:id/sign-out": "admin",
  "GET /admin/sign-ins": "admin",
  "POST /admin/sign-ins/:id/end": "admin",
  "GET /admin/audit": "admin",
  "GET /admin/alerts": "admin",
  "POST /admin/alerts": "admin",
  "POST /admin/alerts/:id/test": "admin",
  "POST /admin/alerts/:id/enable": "admin",
  "POST /admin/alerts/:id/disable": "admin",
  "POST /admin/alerts/:id/delete": "admin",
  "GET /admin/budgets": "admin",
  "POST /admin/budgets": "admin",
  "POST /admin/budgets/:id/delete": "admin",
  "POST /admin/cost-settings": "admin",
  "GET /api/v1/admin/budgets": "admin",
  "POST /api/v1/admin/budgets": "admin",
  "POST /api/v1/admin/budgets/:id/delete": "admin",
  "POST /api/v1/admin/cost-settings": "admin",
  "GET /api/v1/admin/alerts/rules": "admin",
  "POST /api/v1/admin/alerts/rules": "admin",
  "GET /api/v1/admin/alerts/rules/:id": "admin",
  "POST /api/v1/admin/alerts/rules/:id": "admin",
  "POST /api/v1/admin/alerts/rules/:id/delete": "admin",
  "POST /api/v1/admin/alerts/rules/:id/test": "admin",
  "GET /api/v1/admin/alerts/deliveries": "admin",
  "GET /metrics": "admin",
  "GET /sessions": "admin",
  "GET /api/v1/sessions": "admin",
  "ALL /demo/v1/*": "signed-in",
  "POST /api/v1/chat": "owner",
  "POST /api/v1/chat/stream": "owner",
  "GET /api/v1/runs/:id": "owner",
  "GET /api/v1/runs/:id/events": "owner",
  "POST /api/v1/runs/:id/cancel": "owner",
  "GET /api/v1/llm-calls": "owner",
  "GET /api/v1/conversations": "owner",
  "GET /api/v1/conversations/:id/messages": "owner",
  "GET /api/v1/logs/stream": "owner",
  "GET /api/v1/logs": "owner",
  "POST /api/v1/logs/clear": "admin",
  "GET /api/v1/runs/:id/logs": "owner",
  "GET /api/v1/exports/logs": "owner",
  "GET /api/v1/exports/llm-calls": "owner",
  "GET /api/v1/exports/runs": "owner",
  "POST /api/v1/agui": "owner",
  "GET /api/v1/ws": "owner",
  "GET /api/v1/usage": "owner",
  "GET /api/v1/agents": "signed-in",
  "POST /llm/v1/chat/completions": "signed-in",
  "GET /llm/v1/models": "signed-in",
};

/** The app's endpoints: routes with a handler (middleware takes `next` and is left out). */
function endpoints(gb: TestServer): string[] {
  const all = gb.glassbox.app.routes
    .filter((r) => r.method !== "ALL" || r.handler.length < 2)
    .map((r) => `${r.method} ${r.path}`);
  return [...new Set(all)].sort();
}

/** A client: member A, member B, the admin, or nobody; pages with cookies, APIs with a key. */
interface Who {
  name: "A" | "B" | "admin" | "anon";
  page(path: string, init?: RequestInit): Promise<Response>;
  form(path: string, fields?: Record<string, string>): Promise<Response>;
  api(path: string, init?: RequestInit): Promise<Response>;
  json(path: string, body: unknown): Promise<Response>;
  headers: Record<string, string>;
}

interface World {
  gb: TestServer;
  a: TestAccount;
  b: TestAccount;
  /** A's finished run, its conversation and one of its LLM calls; A's run still going. */
  ended: { run: string; conversation: string; call: string };
  active: string;
  push(): void;
}

/** true: `who` sees A's thing; false: not found / not listed. */
type Probe = (who: Who, w: World) => Promise<boolean>;

const status = async (res: Response) => {
  await res.body?.cancel();
  return res.status;
};
const text = (res: Response) => res.text();

/** Run ids in an SSE stream's messages (envelopes of the JSON APIs). */
const runIds = (msgs: SseMessage[]) => msgs.map((m) => JSON.parse(m.data).runId as string);

/**
 * Each owner-scoped route: how to tell whether `who` sees A's data there. `admin` says what an
 * admin gets: sees it, or is refused like B (only A continues A's conversations).
 */
const PROBES: Record<string, { probe: Probe; admin: boolean }> = {
  "GET /": {
    admin: true,
    probe: async (who, w) =>
      (await text(await who.page("/"))).includes(`/c/${w.ended.conversation}`),
  },
  "GET /c/:id": {
    admin: true,
    probe: async (who, w) => (await status(await who.page(`/c/${w.ended.conversation}`))) === 200,
  },
  "POST /chat": {
    admin: false,
    probe: async (who, w) => {
      w.push();
      const res = await who.form("/chat", {
        message: "again",
        conversation_id: w.ended.conversation,
      });
      const started = res.headers.get("hx-replace-url") === `/c/${w.ended.conversation}`;
      await text(res); // to the end: the run is over before the next probe
      return started;
    },
  },
  "GET /runs/:id/events": {
    admin: true,
    probe: async (who, w) => (await status(await who.page(`/runs/${w.ended.run}/events`))) === 200,
  },
  "POST /runs/:id/cancel": {
    admin: true,
    // A run that already ended: nothing to stop (204) for those who may see it.
    probe: async (who, w) => (await status(await who.form(`/runs/${w.ended.run}/cancel`))) === 204,
  },
  "GET /calls": {
    admin: true,
    probe: async (who, w) => (await text(await who.page("/calls"))).includes(w.ended.call),
  },
  "GET /calls/:id": {
    admin: true,
    probe: async (who, w) => (await status(await who.page(`/calls/${w.ended.call}`))) === 200,
  },
  "GET /usage": {
    admin: true,
    // The top conversations link to their calls by id.
    probe: async (who, w) =>
      (await text(await who.page("/usage"))).includes(`conversation_id=${w.ended.conversation}`),
  },
  "GET /logs": {
    admin: true,
    // The filter names only the conversation: the run's link is in its rows alone.
    probe: async (who, w) =>
      (await text(await who.page(`/logs?kind=run&conversation_id=${w.ended.conversation}`)))
        .includes(`href="/logs?run_id=${w.ended.run}"`),
  },
  "GET /logs/live": {
    admin: true,
    // As the API's tail: the backlog is in id order and A's first run logged before B's.
    probe: async (who, w) => {
      // Run records only: request records (tests/request_tail_test.ts) have ids of their own.
      const res = await who.page("/logs/live?kind=run");
      const [first] = await takeMessages(res.body!, 1);
      return first.data.includes(`/logs?run_id=${w.ended.run}`);
    },
  },
  "POST /account/sessions/end": {
    // Admins end others' sessions on /admin/sign-ins; here one ends one's own.
    admin: false,
    probe: async (who, w) => {
      const sessions = w.gb.glassbox.deps.auth.sessions;
      const { token } = await sessions.start(w.a.id, { ip: "", userAgent: "victim" });
      return (await status(
        await who.form("/account/sessions/end", { which: (await sessions.idOf(token))! }),
      )) === 303;
    },
  },
  "GET /keys": {
    admin: true,
    probe: async (who, w) => {
      const keys = await w.gb.glassbox.deps.auth.keys.list(w.a.id);
      return (await text(await who.page("/keys"))).includes(`gb_live_${keys[0].id}_`);
    },
  },
  "POST /keys/:id/revoke": {
    admin: true,
    probe: async (who, w) => {
      const { id } = await w.gb.glassbox.deps.auth.keys.create(
        { userId: w.a.id, role: "member" },
        "victim",
        ["read"],
      );
      return (await status(await who.form(`/keys/${id}/revoke`))) === 303;
    },
  },
  "POST /api/v1/chat": {
    admin: false,
    probe: async (who, w) => {
      w.push();
      return (await status(
        await who.json("/api/v1/chat", { message: "x", conversation_id: w.ended.conversation }),
      )) === 200;
    },
  },
  "POST /api/v1/chat/stream": {
    admin: false,
    probe: async (who, w) => {
      w.push();
      const res = await who.json("/api/v1/chat/stream", {
        message: "x",
        conversation_id: w.ended.conversation,
      });
      if (res.status !== 200) return await status(res) === 200;
      await allMessages(res.body!);
      return true;
    },
  },
  "GET /api/v1/runs/:id": {
    admin: true,
    probe: async (who, w) => (await status(await who.api(`/api/v1/runs/${w.ended.run}`))) === 200,
  },
  "GET /api/v1/runs/:id/events": {
    admin: true,
    // The active run: answered from its journal in memory, not the database.
    probe: async (who, w) =>
      (await status(await who.api(`/api/v1/runs/${w.active}/events`))) === 200,
  },
  "POST /api/v1/runs/:id/cancel": {
    admin: true,
    // The ended run: "not running" (409) for those who may see it, "not found" for the others.
    probe: async (who, w) =>
      (await status(await who.api(`/api/v1/runs/${w.ended.run}/cancel`, { method: "POST" }))) ===
        409,
  },
  "GET /api/v1/llm-calls": {
    admin: true,
    probe: async (who, w) =>
      (await (await who.api("/api/v1/llm-calls")).json()).items.some((c: { id: string }) =>
        c.id === w.ended.call
      ),
  },
  "GET /api/v1/conversations": {
    admin: true,
    probe: async (who, w) =>
      (await (await who.api("/api/v1/conversations")).json()).items.some((c: { id: string }) =>
        c.id === w.ended.conversation
      ),
  },
  "GET /api/v1/conversations/:id/messages": {
    admin: true,
    probe: async (who, w) =>
      (await status(await who.api(`/api/v1/conversations/${w.ended.conversation}/messages`))) ===
        200,
  },
  "GET /api/v1/logs/stream": {
    admin: true,
    // The backlog is in id order and A's first run logged before B's: if A's records were in
    // B's tail, they would come first.
    probe: async (who, w) => {
      const res = await who.api("/api/v1/logs/stream?kind=run");
      const first = await takeMessages(res.body!, 1);
      return runIds(first).includes(w.ended.run);
    },
  },
  "GET /api/v1/logs": {
    admin: true,
    probe: async (who, w) =>
      (await (await who.api(`/api/v1/logs?run_id=${w.ended.run}`)).json()).items.length > 0,
  },
  "GET /api/v1/runs/:id/logs": {
    admin: true,
    probe: async (who, w) =>
      (await status(await who.api(`/api/v1/runs/${w.ended.run}/logs`))) === 200,
  },
  "GET /api/v1/exports/logs": {
    admin: true,
    probe: async (who, w) =>
      (await text(await who.api(`/api/v1/exports/logs?format=ndjson&run_id=${w.ended.run}`)))
        .includes(w.ended.run),
  },
  "GET /api/v1/exports/llm-calls": {
    admin: true,
    probe: async (who, w) =>
      (await text(await who.api("/api/v1/exports/llm-calls?format=csv"))).includes(w.ended.call),
  },
  "GET /api/v1/exports/runs": {
    admin: true,
    probe: async (who, w) =>
      (await text(await who.api("/api/v1/exports/runs?format=json"))).includes(w.ended.run),
  },
  "POST /api/v1/agui": {
    admin: false,
    probe: async (who, w) => {
      w.push();
      const res = await who.json("/api/v1/agui", {
        threadId: w.ended.conversation,
        runId: crypto.randomUUID(),
        messages: [{ id: "m1", role: "user", content: "and now?" }],
        tools: [],
        context: [],
        state: {},
        forwardedProps: { user_id: w.b.id },
      });
      if (res.status !== 200) return await status(res) === 200;
      await allMessages(res.body!);
      return true;
    },
  },
  "GET /api/v1/ws": {
    admin: true,
    probe: async (who, w) => {
      const ws = await connectWs(w.gb.url, who.headers);
      try {
        ws.send({ type: "subscribe", run_id: w.ended.run });
        const reply = await ws.next((m) => m.type === "end" || m.type === "error");
        return reply.type === "end";
      } finally {
        await ws.close();
      }
    },
  },
  "GET /api/v1/usage": {
    admin: true,
    probe: async (who, w) =>
      (await (await who.api(`/api/v1/usage?conversation_id=${w.ended.conversation}`)).json()).totals
        .calls > 0,
  },
};

Deno.test(
  { name: "isolation: every route of the app is in the access table", ignore },
  async () => {
    const db = await freshPostgres();
    const gb = await startGlassbox({ DATABASE_URL: db.url });
    try {
      assert.deepEqual(
        endpoints(gb),
        Object.keys(ACCESS).sort(),
        "ACCESS lists exactly the routes",
      );
      const owner = Object.entries(ACCESS).filter(([, a]) => a === "owner").map(([r]) => r).sort();
      assert.deepEqual(Object.keys(PROBES).sort(), owner, "every owner-scoped route has a probe");
    } finally {
      await gb.close();
      await db.close();
    }
  },
);

Deno.test(
  { name: "isolation: who may reach what, and whose data each owner route shows", ignore },
  async () => {
    const db = await freshPostgres();
    const llm = startScriptedLlm([]);
    const answer = () => llm.push({ kind: "text", chunks: ["ok"] });
    const admin = { email: "root@example.com", password: "correct horse battery staple" };
    const gb = await startGlassbox({
      DATABASE_URL: db.url,
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: "test",
      GLASSBOX_MODEL: "test-model",
      GLASSBOX_ADMIN_EMAIL: admin.email,
      GLASSBOX_ADMIN_PASSWORD: admin.password,
    });
    try {
      const accounts = accountsOf(gb);
      const [a, b] = [
        await accounts.create("a@example.com"),
        await accounts.create("b@example.com"),
      ];
      const adminId = (await db.sql`SELECT id FROM users WHERE email = ${admin.email}`)[0].id;
      const adminKey = {
        authorization: `Bearer ${
          (await gb.glassbox.deps.auth.keys.create({ userId: adminId, role: "admin" }, "k", [
            "read",
            "chat",
            "admin",
          ])).key
        }`,
      };
      const who = async (
        name: Who["name"],
        email?: string,
        password?: string,
        headers: Record<string, string> = {},
      ): Promise<Who> => {
        const browser = new Browser(gb.url);
        if (email) await browser.signIn(email, password!);
        return {
          name,
          headers,
          page: (path, init) => browser.fetch(path, init),
          form: (path, fields = {}) => browser.post(path, fields),
          api: (path, init = {}) =>
            fetch(gb.url + path, { ...init, headers: { ...headers, ...init.headers } }),
          json: (path, body) => postJson(gb.url + path, body, headers),
        };
      };
      const A = await who("A", a.email, a.password, await a.bearer());
      const B = await who("B", b.email, b.password, await b.bearer());
      const ADMIN = await who("admin", admin.email, admin.password, adminKey);
      const anon = await who("anon");

      // A's finished run, B's, and A's run that is still going (its model never answers).
      answer();
      const aChat = await (await A.json("/api/v1/chat", { message: "A's question" })).json();
      answer();
      await status(await B.json("/api/v1/chat", { message: "B's question" }));
      llm.push({ kind: "stall", afterChunks: ["thinking"] });
      const activeRes = await A.json("/api/v1/chat/stream", { message: "A's long one" });
      const active = activeRes.headers.get("x-run-id")!;
      const call =
        (await (await A.api(`/api/v1/llm-calls?run_id=${aChat.run_id}`)).json()).items[0].id;
      const w: World = {
        gb,
        a,
        b,
        ended: { run: aChat.run_id, conversation: aChat.conversation_id, call },
        active,
        push: answer,
      };
      assert.ok(gb.glassbox.deps.journals.get(active), "A's run is still active");

      // Public routes answer a signed-out client; every other route refuses one.
      for (const [route, access] of Object.entries(ACCESS)) {
        const [method, pattern] = route.split(" ");
        const path = pattern.replace(":id", crypto.randomUUID()).replace(":file", "app.css")
          .replace("*", "models");
        const res = await anon.page(path, { method: method === "ALL" ? "GET" : method });
        await res.body?.cancel();
        const refused = res.status === 401 ||
          (res.status === 303 && res.headers.get("location")!.startsWith("/sign-in?"));
        assert.equal(refused, access !== "public", `${route} signed out: ${res.status}`);
      }
      // Admin routes: 403 for members; admins get through (to a 200, a redirect, or a 4xx about
      // the unknown user or bad form; a JSON admin API refuses the form's type, 415).
      for (const [route, access] of Object.entries(ACCESS)) {
        if (access !== "admin") continue;
        const [method, pattern] = route.split(" ");
        const path = pattern.replace(":id", crypto.randomUUID());
        const send = (c: Who) => method === "GET" ? c.page(path) : c.form(path);
        assert.equal(await status(await send(A)), 403, `${route} as a member`);
        const asAdmin = await status(await send(ADMIN));
        assert.ok([200, 303, 400, 404, 415].includes(asAdmin), `${route} as admin: ${asAdmin}`);
      }
      // Signed-in routes: any signed-in user.
      assert.equal(await status(await A.page("/account")), 200);
      assert.equal(await status(await A.form("/keys", { name: "mine", scope: "read" })), 201);
      assert.equal(
        await status(await A.form("/account/password", { current: "no", password: "x" })),
        400,
      );
      // Signed in, but this team uses a real model: the demo model's path does not exist.
      assert.equal(await status(await A.api("/demo/v1/models")), 404);
      // The gateway wants a key with its own scope (A's has read and chat only).
      assert.equal(await status(await A.api("/llm/v1/models")), 403);
      const gatewayKey = await a.bearer(["gateway"]);
      assert.equal(
        await status(await fetch(`${gb.url}/llm/v1/models`, { headers: gatewayKey })),
        200,
      );

      // Owner routes: A sees, B does not, the admin does (or is refused where only A may act).
      const seen: Record<string, Record<string, boolean>> = {};
      for (const [route, { probe, admin: adminSees }] of Object.entries(PROBES)) {
        seen[route] = {};
        for (const c of [B, ADMIN, A]) seen[route][c.name] = await probe(c, w);
        assert.deepEqual(seen[route], { B: false, admin: adminSees, A: true }, route);
      }

      // B's live log tail never carries A's records: A's run ends (logging), then B's runs log.
      const tail = await B.api("/api/v1/logs/stream?kind=run&after=" + (await lastEventId(db.sql)));
      gb.glassbox.deps.runs.cancel(active);
      await gb.glassbox.deps.runs.whenDone(active);
      await activeRes.text(); // its stream ends with the run
      answer();
      await status(await B.json("/api/v1/chat", { message: "B again" }));
      const live = await takeMessages(tail.body!, 1);
      assert.ok(!runIds(live).includes(active), "A's live records are not in B's tail");
      assert.ok(runIds(live).every((r) => r !== active && r !== aChat.run_id));

      // The admin's user filter: one user's rows only.
      const only = async (path: string, user: TestAccount) =>
        (await (await ADMIN.api(`${path}${path.includes("?") ? "&" : "?"}user_id=${user.id}`))
          .json()).items;
      const calls = await only("/api/v1/llm-calls", b);
      assert.ok(calls.length > 0 && calls.every((c: { userId: string }) => c.userId === b.id));
      const bRecords = await only("/api/v1/logs", b);
      assert.ok(
        bRecords.length > 0 && bRecords.every((r: { user_id: string }) => r.user_id === b.id),
        "only B's records",
      );
      const convs = await only("/api/v1/conversations", b);
      assert.deepEqual(
        convs.map((c: { userId: string }) => c.userId).filter((u: string) => u !== b.id),
        [],
      );
      const usageB = await (await ADMIN.api(`/api/v1/usage?user_id=${b.id}`)).json();
      const usageA = await (await ADMIN.api(`/api/v1/usage?user_id=${a.id}`)).json();
      const usageAll = await (await ADMIN.api(`/api/v1/usage`)).json();
      assert.equal(usageA.totals.calls + usageB.totals.calls, usageAll.totals.calls);
      assert.ok(usageA.totals.calls > 0 && usageB.totals.calls > 0);
      // A member's filter for someone else matches nothing.
      assert.deepEqual((await (await A.api(`/api/v1/llm-calls?user_id=${b.id}`)).json()).items, []);
      const bTail = await ADMIN.api(`/api/v1/logs/stream?user_id=${b.id}`);
      const bOwns = new Set(
        (await db.sql`SELECT id FROM runs WHERE user_id = ${b.id}`).map((r) => r.id),
      );
      const bLogs = runIds(await takeMessages(bTail.body!, 3));
      assert.ok(bLogs.length === 3 && bLogs.every((r) => bOwns.has(r)), "only B's log records");
      const page = await text(await ADMIN.page(`/calls?user_id=${b.id}`));
      assert.ok(!page.includes(w.ended.call) && page.includes("b@example.com"));
    } finally {
      await gb.close();
      await llm.close();
      await db.close();
    }
  },
);

async function lastEventId(sql: TestServer["glassbox"]["deps"]["db"]["sql"]): Promise<number> {
  const [{ id }] = await sql`SELECT coalesce(max(id), 0)::bigint AS id FROM events`;
  return Number(id);
}
