/**
 * The /logs page's Clear… control, over real HTTP with a real Postgres: members neither see it
 * nor reach its confirm step (403 page) nor clear through the API (403); an admin's confirm step
 * names how many records go and deletes nothing, its form posts to POST /api/v1/logs/clear, which
 * deletes them, audits the clear like any API clear and sends the browser back to /logs.
 */
import assert from "node:assert/strict";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { parseDoc } from "./support/dom.ts";
import { startGlassbox } from "./support/server.ts";
import { accountsOf, Browser } from "./support/users.ts";
import { waitFor } from "./support/wait.ts";

const ignore = await skipWithoutPostgres();
const ADMIN = { email: "root@example.com", password: "correct horse battery staple" };

/** A form post as a browser sends it from the page: Origin, and HTML accepted. */
function submit(br: Browser, action: string, fields: Record<string, string>) {
  return br.fetch(action, {
    method: "POST",
    headers: { origin: br.baseUrl, accept: "text/html,application/xhtml+xml" },
    body: new URLSearchParams(fields),
  });
}

Deno.test({
  name: "logs clear control: members don't get it; admins confirm, clear, audited",
  ignore,
}, async () => {
  const db = await freshPostgres();
  const gb = await startGlassbox({
    DATABASE_URL: db.url,
    GLASSBOX_ADMIN_EMAIL: ADMIN.email,
    GLASSBOX_ADMIN_PASSWORD: ADMIN.password,
  });
  try {
    const a = await accountsOf(gb).create("a@example.com");
    const member = new Browser(gb.url);
    assert.equal((await member.signIn(a.email, a.password)).status, 303);
    const admin = new Browser(gb.url);
    assert.equal((await admin.signIn(ADMIN.email, ADMIN.password)).status, 303);

    // A's run logs a few records (the demo model).
    const chat = await member.fetch("/api/v1/chat", {
      method: "POST",
      headers: { "content-type": "application/json", origin: gb.url },
      body: JSON.stringify({ message: "What is 17 * 23?" }),
    });
    assert.equal(chat.status, 200);
    const { run_id: runId } = await chat.json();
    const records = async () =>
      (await db.sql`SELECT count(*)::int AS n FROM log_records WHERE run_id = ${runId}`)[0]
        .n as number;
    const n = await waitFor(async () => {
      const n = await records();
      return n >= 3 ? n : null;
    }, "the run's records stored");

    // A member: no control, no confirm step, no clear.
    const memberPage = parseDoc(await (await member.fetch(`/logs?run_id=${runId}`)).text());
    assert.equal(memberPage.querySelector("#logs-clear"), null, "no Clear… for a member");
    assert.equal(memberPage.querySelector('form[action="/logs/clear"]'), null);
    const confirm403 = await member.fetch(`/logs/clear?run_id=${runId}`);
    assert.equal(confirm403.status, 403);
    assert.match(await confirm403.text(), /Only an admin may clear logs/);
    const post403 = await submit(member, "/api/v1/logs/clear", { run_id: runId });
    assert.equal(post403.status, 403);
    await post403.body?.cancel();
    assert.equal(await records(), n);

    // An admin: the control, prefilled with the filter's run.
    const page = parseDoc(await (await admin.fetch(`/logs?run_id=${runId}`)).text());
    const control = page.querySelector("details#logs-clear");
    assert.ok(control, "Clear… for an admin");
    assert.match(control.querySelector("summary").textContent, /Clear…/);
    const form = control.querySelector("form");
    assert.equal(form.getAttribute("action"), "/logs/clear");
    assert.equal(form.getAttribute("method"), "get");
    assert.equal(form.querySelector('input[name="run_id"]').getAttribute("value"), runId);

    // A bad target is the confirm page naming the problem; nothing goes.
    for (const q of ["", `run_id=${runId}&before=2026-01-01`, "run_id=nope", "before=soon"]) {
      const res = await admin.fetch(`/logs/clear?${q}`);
      assert.equal(res.status, 400, q);
      assert.match(await res.text(), /Can(&#39;|')t clear that/, q);
    }

    // The confirm step: how many, and a form to the API; nothing deleted yet.
    const step = await admin.fetch(`/logs/clear?run_id=${runId}&conversation_id=&before=`);
    assert.equal(step.status, 200);
    const doc = parseDoc(await step.text());
    assert.equal(Number(doc.querySelector("#logs-clear-count").textContent), n);
    const go = doc.querySelector("#logs-clear-confirm form");
    assert.equal(go.getAttribute("action"), "/api/v1/logs/clear");
    assert.equal(go.getAttribute("method"), "post");
    const fields = Object.fromEntries(
      [...go.querySelectorAll("input[type=hidden]")].map((
        i: { getAttribute(n: string): string },
      ) => [i.getAttribute("name"), i.getAttribute("value")]),
    );
    assert.deepEqual(fields, { run_id: runId });
    assert.equal(await records(), n, "the confirm step deletes nothing");

    // Confirmed: deleted, back to /logs saying so, audited like the API's clears.
    const done = await submit(admin, "/api/v1/logs/clear", fields);
    assert.equal(done.status, 303);
    assert.equal(done.headers.get("location"), `/logs?cleared=${n}`);
    assert.equal(await records(), 0);
    const after = parseDoc(await (await admin.fetch(done.headers.get("location")!)).text());
    assert.match(
      after.querySelector("#logs-cleared").textContent,
      new RegExp(`Cleared ${n} records`),
    );
    const audit = await db.sql`
      SELECT actor_email, target, detail FROM audit_log WHERE action = 'logs_cleared'`;
    assert.deepEqual(
      audit.map((r) => [r.actor_email, r.target, r.detail.deleted, r.detail.run_id]),
      [
        [ADMIN.email, runId, n, runId],
      ],
    );

    // Older than a date: the date as understood (UTC) is what is confirmed and posted.
    const old = parseDoc(await (await admin.fetch("/logs/clear?before=2001-02-03T04:05")).text());
    assert.equal(Number(old.querySelector("#logs-clear-count").textContent), 0);
    assert.equal(
      old.querySelector('#logs-clear-confirm input[name="before"]').getAttribute("value"),
      "2001-02-03T04:05:00.000Z",
    );
    // An API client posting a form without asking for HTML still gets JSON.
    const json = await admin.fetch("/api/v1/logs/clear", {
      method: "POST",
      headers: { origin: gb.url },
      body: new URLSearchParams({ before: "2001-02-03T04:05:00.000Z" }),
    });
    assert.equal(json.status, 200);
    assert.deepEqual(await json.json(), { deleted: 0 });
  } finally {
    await gb.close();
    await db.close();
  }
});
