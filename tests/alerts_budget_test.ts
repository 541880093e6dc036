/**
 * Budget alert rules and the alerts API over real HTTP, with a real Postgres, real webhook
 * receivers and real budget crossings (gateway calls to a scripted upstream with exact usage):
 * each crossing is one signed delivery to each rule of its level, whatever how often rules are
 * evaluated; the API makes, reads, changes and deletes rules (admins only, every change audited)
 * and lists deliveries; AlertService.close waits for an evaluation that is running.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { skipWithoutPostgres } from "./support/db.ts";
import { gatewayStack } from "./support/gateway.ts";
import { parseDoc } from "./support/dom.ts";
import { postJson, withDemoGlassbox } from "./support/server.ts";
import { accountsOf, Browser } from "./support/users.ts";
import { waitFor } from "./support/wait.ts";
import { CUSTOM } from "../agents/spine/events.ts";

const ignore = await skipWithoutPostgres();
const ENV = {
  GLASSBOX_ALERT_INTERVAL_MS: "3600000", // the test evaluates when it wants to
  GLASSBOX_ALERT_RETRY_BASE_MS: "30",
  GLASSBOX_ALERT_TIMEOUT_MS: "2000",
};
const ADMIN = { email: "root@example.com", password: "correct horse battery staple" };

interface Received {
  headers: Record<string, string>;
  body: string;
}

function receiver() {
  const got: Received[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    got.push({ headers: Object.fromEntries(req.headers), body: await req.text() });
    return new Response("ok");
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    got,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test({
  name: "alerts: a budget rule delivers each crossing of its level once, signed",
  ignore,
}, async () => {
  // Each call: 10 tokens in, 10 out; its worst case (about 10 of prompt, max_tokens 1) is 11.
  // A global day budget of 40 tokens, warning at 50%: the first call reaches the warning, the
  // second the limit, the third is refused.
  const usage = { prompt_tokens: 10, completion_tokens: 10 };
  await using s = await gatewayStack({
    ...ENV,
    GLASSBOX_BUDGETS: JSON.stringify([
      { scope: "global", period: "day", limit_tokens: 40, warn_percent: 50 },
    ]),
  }, [{ kind: "text", chunks: ["a"], usage }, { kind: "text", chunks: ["b"], usage }]);
  await using any = receiver();
  await using limits = receiver();
  const sql = s.db.sql;

  // One rule made on the page, one through the API.
  const browser = new Browser(s.gb.url);
  await browser.signIn(ADMIN.email, ADMIN.password);
  const page = await browser.post("/admin/alerts", {
    name: "Budgets",
    kind: "budget",
    budget_level: "any",
    webhook_url: any.url,
    format: "standard",
  });
  const html = await page.text();
  assert.equal(page.status, 201, html.slice(0, 400));
  const secret = parseDoc(html).querySelector("#new-secret code.secret").textContent as string;
  const adminKey = await (await accountsOf(s.gb).create("ops@example.com", "admin"))
    .bearer(["read", "chat", "admin"]);
  const made = await postJson(`${s.gb.url}/api/v1/admin/alerts/rules`, {
    name: "Budget limits",
    kind: "budget",
    budget_level: "limit",
    webhook_url: limits.url,
    format: "slack",
  }, adminKey);
  assert.equal(made.status, 201);
  const madeBody = await made.json();
  assert.equal(
    madeBody.rule.condition,
    "A budget's warning level or limit is reached (limit only)",
  );

  const call = () =>
    postJson(`${s.base}/chat/completions`, {
      model: "gpt-test",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 1,
    }, s.headers);
  const statuses = [];
  for (let i = 0; i < 3; i++) {
    const res = await call();
    statuses.push(res.status);
    await res.body?.cancel();
  }
  assert.deepEqual(statuses, [200, 200, 429]);
  const events = await waitFor(async () => {
    const rows = await sql`
      SELECT payload FROM events WHERE name = ${CUSTOM.budgetWarning} ORDER BY id`;
    return rows.length === 2 && rows;
  }, "a warning and a limit announced");
  assert.deepEqual(events.map((e) => e.payload.value.threshold), ["warning", "limit"]);

  const alerts = s.gb.glassbox.deps.alerts;
  await alerts.evaluate();
  await alerts.evaluate();
  await waitFor(() => any.got.length === 2 && limits.got.length === 1, "three deliveries");
  await alerts.evaluate();
  const deliveries = await sql`SELECT rule_id, event, status FROM alert_deliveries ORDER BY
    created_at, event DESC`;
  assert.equal(deliveries.length, 3, "once per crossing and rule, however often evaluated");
  await waitFor(
    async () =>
      (await sql`SELECT 1 FROM alert_deliveries WHERE status <> 'delivered'`).length === 0,
    "sent",
  );

  const wh = new Webhook(secret);
  type Body = { type: string; data: { message: string; detail: Record<string, unknown> } };
  // Due deliveries are sent together: in either order.
  const bodies = any.got.map((g) => wh.verify(g.body, g.headers) as Body);
  assert.deepEqual(bodies.map((b) => b.type).sort(), ["budget.limit", "budget.warning"]);
  const warning = bodies.find((b) => b.type === "budget.warning")!;
  assert.equal(
    warning.data.message,
    "Budget warning: global daily budget 40 tokens: 50% used (20 tokens).",
  );
  assert.equal(warning.data.detail.budget, "global daily budget 40 tokens");
  assert.equal(warning.data.detail.spent, 20);
  assert.equal(warning.data.detail.limit, 40);
  assert.match(String(warning.data.detail.run_id), /^[0-9a-f-]{36}$/);
  const raw = any.got.find((g) => g.body.includes("budget.warning"))!;
  assert.throws(() => wh.verify(raw.body.replace("50%", "10%"), raw.headers));
  // The limit-only rule, in the Slack-compatible shape, signed with its own secret.
  const slack = new Webhook(madeBody.secret).verify(limits.got[0].body, limits.got[0].headers) as {
    text: string;
  };
  assert.match(
    slack.text,
    /Budget limits\* Budget limit reached: global daily budget 40 tokens: 100% used/,
  );

  // The deliveries over the API, with their attempts.
  const list = await (await fetch(`${s.gb.url}/api/v1/admin/alerts/deliveries?limit=10`, {
    headers: adminKey,
  })).json();
  assert.equal(list.deliveries.length, 3);
  assert.ok(
    list.deliveries.every((d: { status: string; attempt_log: unknown[] }) =>
      d.status === "delivered" && d.attempt_log.length === 1
    ),
  );
});

Deno.test({ name: "alerts API: rules CRUD for admins only, audited", ignore }, async () => {
  await using s = await gatewayStack(ENV);
  const api = `${s.gb.url}/api/v1/admin/alerts`;
  const admin = await (await accountsOf(s.gb).create("ops@example.com", "admin")).bearer([
    "read",
    "chat",
    "admin",
  ]);
  const member = await s.user.bearer(["read", "chat"]);
  const rule = {
    name: "Spend",
    kind: "cost",
    threshold: 5,
    window_minutes: 1440,
    webhook_url: "https://hooks.example.com/secret/path",
  };

  for (const path of ["/rules", "/deliveries"]) {
    const res = await fetch(`${api}${path}`, { headers: member });
    assert.equal(res.status, 403, path);
    await res.body?.cancel();
  }
  const refused = await postJson(`${api}/rules`, rule, member);
  assert.equal(refused.status, 403);
  await refused.body?.cancel();

  for (
    const [bad, why] of [
      [{ ...rule, threshold: undefined }, /threshold: is required/],
      [{ ...rule, kind: "error_rate", threshold: 150 }, /at most 100/],
      [{ ...rule, window_minutes: 7 }, /window_minutes: must be one of/],
      [{ ...rule, webhook_url: "ftp://x" }, /http\(s\) URL/],
      [{ ...rule, extra: 1 }, /extra/],
    ] as const
  ) {
    const res = await postJson(`${api}/rules`, bad, admin);
    assert.equal(res.status, 400, JSON.stringify(bad));
    assert.match((await res.json()).error.message, why);
  }

  const created = await postJson(`${api}/rules`, rule, admin);
  assert.equal(created.status, 201);
  const { rule: r, secret } = await created.json();
  assert.match(secret, /^whsec_/);
  assert.equal(r.webhook, "https://hooks.example.com/…", "the secret path is never shown");
  assert.equal(r.condition, "Cost reaches $5.00 over 24 h");
  const listed = await (await fetch(`${api}/rules`, { headers: admin })).json();
  assert.deepEqual(listed.rules.map((x: { id: string }) => x.id), [r.id]);
  assert.ok(!JSON.stringify(listed).includes("whsec_"), "no secret in a listing");

  const off = await postJson(`${api}/rules/${r.id}`, { enabled: false }, admin);
  assert.equal(off.status, 200);
  assert.equal((await off.json()).rule.enabled, false);
  const one = await (await fetch(`${api}/rules/${r.id}`, { headers: admin })).json();
  assert.equal(one.rule.enabled, false);
  const bogus = await postJson(`${api}/rules/${r.id}`, { enabled: "no" }, admin);
  assert.equal(bogus.status, 400);
  await bogus.body?.cancel();

  const gone = await postJson(`${api}/rules/${r.id}/delete`, {}, admin);
  assert.equal(gone.status, 204);
  for (
    const res of [
      await postJson(`${api}/rules/${r.id}/delete`, {}, admin),
      await fetch(`${api}/rules/${r.id}`, { headers: admin }),
      await fetch(`${api}/rules/not-a-uuid`, { headers: admin }),
    ]
  ) {
    assert.equal(res.status, 404);
    await res.body?.cancel();
  }

  const audit = await s.db.sql`
    SELECT action, target, actor_email, detail FROM audit_log
    WHERE action LIKE 'alert_rule_%' ORDER BY at, action`;
  assert.deepEqual(audit.map((a) => a.action), [
    "alert_rule_created",
    "alert_rule_disabled",
    "alert_rule_deleted",
  ]);
  assert.ok(audit.every((a) => a.target === "Spend" && a.actor_email === "ops@example.com"));
  assert.equal(audit[0].detail.webhook, "https://hooks.example.com/…");
});

Deno.test(
  { name: "alerts: close waits for a running evaluation to end", ignore },
  () =>
    withDemoGlassbox(async (gb) => {
      const { alerts, db } = gb.glassbox.deps;
      // Another session holds alert_rules: an evaluation's first query waits for it.
      const held = Promise.withResolvers<void>();
      const locked = Promise.withResolvers<void>();
      const lock = db.sql.begin(async (tx) => {
        await tx`LOCK TABLE alert_rules IN ACCESS EXCLUSIVE MODE`;
        locked.resolve();
        await held.promise;
      });
      await locked.promise;
      const order: string[] = [];
      const evaluation = alerts.evaluate().then(() => order.push("evaluated"));
      await waitFor(
        async () =>
          (await db.sql`
        SELECT 1 FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND query LIKE '%alert_rules%'`).length > 0,
        "the evaluation waiting for the table",
      );
      const closed = alerts.close().then(() => order.push("closed"));
      // close() is not done while the evaluation is still running (it was at once before).
      for (let i = 0; i < 20; i++) await Promise.resolve();
      assert.deepEqual(order, []);
      held.resolve();
      await lock;
      await Promise.all([evaluation, closed]);
      assert.deepEqual(order, ["evaluated", "closed"]);
    }, ENV),
);
