/**
 * Alerts end to end over real HTTP with a real Postgres: rules made on /admin/alerts, measured
 * against llm_calls written here, delivered to real HTTP receivers started by the test — one that
 * fails twice and then succeeds (the retries keep one webhook-id, each signature verifies with
 * the `standardwebhooks` package, a tampered body does not), one crossing is one delivery and
 * the way back another; error-rate and latency rules with the Slack-compatible payload; a
 * receiver that is down or never answers fails its delivery (its URL's secret path never shown)
 * while runs go on.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import type { Sql } from "../db/client.ts";
import { LOCAL_USER_ID } from "../db/users.ts";
import { parseDoc } from "./support/dom.ts";
import { skipWithoutPostgres } from "./support/db.ts";
import { postJson, type TestServer, withDemoGlassbox } from "./support/server.ts";
import { Browser } from "./support/users.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();
const ENV = {
  GLASSBOX_ALERT_INTERVAL_MS: "3600000", // the test evaluates when it wants to
  GLASSBOX_ALERT_RETRY_BASE_MS: "30",
  GLASSBOX_ALERT_MAX_ATTEMPTS: "4",
  GLASSBOX_ALERT_TIMEOUT_MS: "500",
};

interface Received {
  headers: Record<string, string>;
  body: string;
}

/** A webhook receiver: answers each request with the next status of `statuses` (then 200). */
function receiver(statuses: number[] = [], opts: { hang?: boolean } = {}) {
  const got: Received[] = [];
  const held: (() => void)[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    got.push({ headers: Object.fromEntries(req.headers), body: await req.text() });
    if (opts.hang) await new Promise<void>((r) => held.push(r));
    return new Response("thanks", { status: statuses[got.length - 1] ?? 200 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    got,
    close: async () => {
      held.forEach((r) => r());
      await server.shutdown();
    },
  };
}

async function addRule(gb: TestServer, fields: Record<string, string>) {
  const res = await new Browser(gb.url).post("/admin/alerts", fields);
  const html = await res.text();
  assert.equal(res.status, 201, html.slice(0, 500));
  const doc = parseDoc(html);
  const secret = doc.querySelector("#new-secret code.secret").textContent as string;
  const [rule] = await gb.glassbox.deps.db
    .sql`SELECT id FROM alert_rules ORDER BY created_at DESC LIMIT 1`;
  return { id: rule.id as string, secret, html };
}

async function insertCalls(
  sql: Sql,
  calls: { cost?: number | null; status?: string; durationMs?: number; minutesAgo?: number }[],
) {
  const now = Date.now();
  await sql`INSERT INTO llm_calls ${
    sql(calls.map((c, i) => {
      const started = new Date(now - (c.minutesAgo ?? 1) * 60_000);
      return {
        id: crypto.randomUUID(),
        span_id: `s${i}`,
        user_id: LOCAL_USER_ID,
        operation: "chat",
        provider: "test",
        request_model: "m",
        usage_source: "none",
        cost_usd: c.cost ?? null,
        started_at: started,
        ended_at: new Date(started.getTime() + (c.durationMs ?? 100)),
        duration_ms: c.durationMs ?? 100,
        status: c.status ?? "ok",
      };
    }))
  }`;
}

const deliveries = (sql: Sql) =>
  sql`SELECT id, event, status, attempts, last_error FROM alert_deliveries ORDER BY created_at`;

Deno.test({
  name: "alerts: a cost crossing is delivered once, signed, retried until the receiver takes it",
  ignore,
}, () =>
  withDemoGlassbox(async (gb) => {
    const sql = gb.glassbox.deps.db.sql;
    const hook = receiver([500, 503]);
    try {
      const { id, secret } = await addRule(gb, {
        name: "Daily spend",
        kind: "cost",
        threshold: "5",
        window_minutes: "1440",
        webhook_url: `${hook.url}/hooks/glassbox`,
        format: "standard",
      });
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      // Below the threshold: nothing. Over it: one delivery, whatever how often it is measured.
      await insertCalls(sql, [{ cost: 2 }, { cost: 2 }, { cost: null }]);
      await gb.glassbox.deps.alerts.evaluate();
      assert.equal((await deliveries(sql)).length, 0);
      await insertCalls(sql, [{ cost: 1.5 }, { cost: 3, minutesAgo: 2000 }]);
      await gb.glassbox.deps.alerts.evaluate();
      await gb.glassbox.deps.alerts.evaluate();
      const [d] = await waitFor(async () => {
        const ds = await deliveries(sql);
        return ds.length === 1 && ds[0].status === "delivered" && ds;
      }, "the delivery, after two failed attempts");
      assert.equal(d.event, "alert.fired");
      assert.equal(d.attempts, 3);
      assert.equal(hook.got.length, 3, "two failures, then the one that took it");

      // One webhook-id for every attempt; every signature verifies; a changed body does not.
      const wh = new Webhook(secret);
      assert.equal(new Set(hook.got.map((g) => g.headers["webhook-id"])).size, 1);
      assert.equal(hook.got[0].headers["webhook-id"], `msg_${d.id}`);
      for (const g of hook.got) {
        const payload = wh.verify(g.body, g.headers) as {
          type: string;
          data: Record<string, unknown>;
        };
        assert.equal(payload.type, "alert.fired");
        assert.equal(payload.data.value, 5.5, "the known costs in the window (unpriced is not $0)");
        assert.equal((payload.data.rule as { id: string }).id, id);
        assert.match(String(payload.data.message), /\$5\.50 over 4 calls \(threshold \$5\.00\)/);
      }
      assert.throws(() => wh.verify(hook.got[0].body.replace("5.5", "0.5"), hook.got[0].headers));
      assert.throws(() =>
        new Webhook(`whsec_${btoa("another secret, not this rule's")}`).verify(
          hook.got[0].body,
          hook.got[0].headers,
        )
      );

      // Each attempt is recorded, waiting longer each time (backoff 30 ms, then 60 ms).
      const attempts = await sql`SELECT attempt, status_code, at FROM alert_delivery_attempts
        WHERE delivery_id = ${d.id} ORDER BY attempt`;
      assert.deepEqual(attempts.map((a) => a.status_code), [500, 503, 200]);
      assert.ok(attempts[1].at - attempts[0].at >= 30 && attempts[2].at - attempts[1].at >= 60);
      const page = await (await fetch(`${gb.url}/admin/alerts`)).text();
      const row = parseDoc(page).querySelector(`#alert-deliveries tr[data-delivery-id="${d.id}"]`);
      assert.equal(row.getAttribute("data-status"), "delivered");
      assert.deepEqual(
        [...row.querySelectorAll(".attempts li")].map((li) =>
          li.textContent.split(" ").slice(0, 2).join(" ")
        ),
        ["HTTP 500", "HTTP 503", "HTTP 200"],
      );
      assert.equal(
        parseDoc(page).querySelector(`#alert-rules tr[data-rule-id="${id}"]`).getAttribute(
          "data-state",
        ),
        "firing",
      );
      assert.ok(
        !page.includes(secret) && !page.includes("/hooks/glassbox"),
        "no secret, no webhook path",
      );

      // Back under the threshold: one "resolved".
      await sql`UPDATE llm_calls SET started_at = started_at - interval '2 days'`;
      await gb.glassbox.deps.alerts.evaluate();
      await waitFor(
        async () => (await deliveries(sql)).at(-1)?.status === "delivered" && hook.got.length === 4,
        "resolved",
      );
      const resolved = wh.verify(hook.got[3].body, hook.got[3].headers) as {
        type: string;
        data: { state: string };
      };
      assert.equal(resolved.type, "alert.resolved");
      assert.equal(resolved.data.state, "ok");
      assert.equal((await deliveries(sql)).length, 2);
    } finally {
      await hook.close();
    }
  }, ENV));

Deno.test({
  name:
    "alerts: error-rate and latency rules, the Slack payload, receivers that fail never touch runs",
  ignore,
}, () =>
  withDemoGlassbox(async (gb) => {
    const sql = gb.glassbox.deps.db.sql;
    const slack = receiver();
    const hung = receiver([], { hang: true });
    const down = receiver();
    await down.close();
    try {
      await addRule(gb, {
        name: "Errors <prod> & co",
        kind: "error_rate",
        threshold: "20",
        window_minutes: "60",
        min_calls: "5",
        webhook_url: slack.url,
        format: "slack",
      });
      await addRule(gb, {
        name: "Slow",
        kind: "latency",
        threshold: "1000",
        window_minutes: "60",
        min_calls: "3",
        webhook_url: `${down.url}/T000/secret-token`,
        format: "standard",
      });
      await addRule(gb, {
        name: "Hung",
        kind: "latency",
        threshold: "1000",
        window_minutes: "15",
        min_calls: "3",
        webhook_url: hung.url,
        format: "standard",
      });
      // Too few calls to say anything; then 2 errors in 6 calls (33 %) and slow successes.
      await insertCalls(sql, [{ status: "error" }, { durationMs: 3000 }]);
      await gb.glassbox.deps.alerts.evaluate();
      assert.equal((await deliveries(sql)).length, 0);
      await insertCalls(sql, [
        { status: "timeout" },
        { status: "cancelled" },
        { durationMs: 2500 },
        { durationMs: 1500 },
      ]);
      await gb.glassbox.deps.alerts.evaluate();
      assert.equal((await deliveries(sql)).length, 3);

      // While one receiver hangs and one is down, a run starts and finishes as usual.
      await waitFor(() => hung.got.length > 0, "the hung receiver is called");
      const run = await postJson(`${gb.url}/api/v1/chat`, { message: "What is 2 + 2?" });
      assert.equal(run.status, 200);
      assert.equal((await run.json()).status, "succeeded");

      await waitFor(() => slack.got.length === 1, "the Slack delivery");
      const msg = JSON.parse(slack.got[0].body);
      assert.equal(typeof msg.text, "string");
      assert.match(msg.text, /\*Errors &lt;prod&gt; &amp; co\*/, "Slack mrkdwn escaped");
      assert.match(msg.text, /33\.3% of 6 calls \(threshold 20%\)/);
      assert.equal(msg.blocks[0].type, "section");
      assert.equal(msg.blocks[0].text.type, "mrkdwn");
      assert.equal(msg.blocks[1].type, "context");
      assert.ok(slack.got[0].headers["webhook-signature"].startsWith("v1,"), "signed too");

      // Down and hung: every attempt fails, the delivery gives up after the last one.
      const failed = await waitFor(
        async () => {
          const ds =
            await sql`SELECT d.status, d.attempts, d.last_error, r.name FROM alert_deliveries d
          JOIN alert_rules r ON r.id = d.rule_id WHERE r.name IN ('Slow', 'Hung')`;
          return ds.every((d) => d.status === "failed") && ds;
        },
        "both deliveries given up",
        20_000,
      );
      for (const d of failed) assert.equal(d.attempts, 4, d.name);
      assert.match(failed.find((d) => d.name === "Hung")!.last_error, /no answer within 500 ms/);
      const page = await (await fetch(`${gb.url}/admin/alerts`)).text();
      assert.ok(!page.includes("secret-token"), "the webhook's path is not shown, even in errors");
      assert.ok(
        !(await sql`SELECT error FROM alert_delivery_attempts`).some((a) =>
          String(a.error).includes("secret-token")
        ),
        "nor stored",
      );
    } finally {
      await slack.close();
      await hung.close();
    }
  }, ENV));

Deno.test({
  name: "alerts page: bad rules are refused with the reason; test, disable, enable, delete",
  ignore,
}, () =>
  withDemoGlassbox(async (gb) => {
    const browser = new Browser(gb.url);
    const good = {
      name: "r",
      kind: "cost",
      threshold: "1",
      window_minutes: "60",
      webhook_url: "http://127.0.0.1:9/x",
      format: "standard",
    };
    for (
      const [change, says] of [
        [{ webhook_url: "file:///etc/passwd" }, "webhook_url must be an http(s) URL"],
        [{ threshold: "-1" }, "threshold must be a number"],
        [{ kind: "error_rate", threshold: "150" }, "at most 100"],
        [{ window_minutes: "7" }, "window_minutes must be one of"],
        [{ name: "a\u0000b" }, "control characters"],
        [{ format: "xml" }, "format must be standard or slack"],
      ] as const
    ) {
      const res = await browser.post("/admin/alerts", { ...good, ...change });
      const html = await res.text();
      assert.equal(res.status, 400, JSON.stringify(change));
      assert.ok(html.includes(says), `${JSON.stringify(change)}: ${says}`);
    }
    const hook = receiver();
    try {
      const { id } = await addRule(gb, { ...good, webhook_url: hook.url, format: "slack" });
      const sql = gb.glassbox.deps.db.sql;
      const test = await browser.post(`/admin/alerts/${id}/test`);
      assert.equal(test.status, 303);
      await waitFor(() => hook.got.length === 1, "the test delivery");
      assert.match(JSON.parse(hook.got[0].body).text, /A test of the alert/);
      assert.equal((await browser.post(`/admin/alerts/${id}/disable`)).status, 303);
      assert.equal((await sql`SELECT enabled FROM alert_rules`)[0].enabled, false);
      assert.equal((await browser.post(`/admin/alerts/${id}/enable`)).status, 303);
      assert.equal((await browser.post(`/admin/alerts/${id}/delete`)).status, 303);
      assert.equal((await sql`SELECT count(*)::int AS n FROM alert_deliveries`)[0].n, 0);
      assert.equal((await browser.post(`/admin/alerts/${id}/delete`)).status, 404);
    } finally {
      await hook.close();
    }
  }));
