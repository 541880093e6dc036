/**
 * The /logs page's Clear… control in a real Chromium (CSP on): open it, the run of the filter is
 * prefilled, the confirm step says how many records go, confirming deletes them and comes back
 * to /logs saying so; /sessions updates itself as a log tail comes and goes. Screenshots:
 * logs-clear-confirm, sessions.
 */
import assert from "node:assert/strict";
import { chromiumAvailable, launchBrowser, screenshot } from "./support/browser.ts";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { postJson, startGlassbox } from "./support/server.ts";
import { waitFor } from "./support/wait.ts";

const ignore = (await skipWithoutPostgres()) || !chromiumAvailable();

Deno.test({ name: "logs clear browser: Clear…, confirm, cleared", ignore }, async () => {
  const db = await freshPostgres();
  // Sign-in off: the local user is an admin.
  const gb = await startGlassbox({ DATABASE_URL: db.url });
  const browser = await launchBrowser();
  try {
    const { run_id: runId } = await (await postJson(`${gb.url}/api/v1/chat`, {
      message: "What is 17 * 23?",
    })).json();
    const records = async () =>
      (await db.sql`SELECT count(*)::int AS n FROM log_records WHERE run_id = ${runId}`)[0]
        .n as number;
    const n = await waitFor(async () => {
      const n = await records();
      return n >= 3 ? n : null;
    }, "the run's records stored");

    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${gb.url}/logs?run_id=${runId}`);
    // Closed at first: its form is not shown until the summary is clicked.
    assert.equal(await page.$eval("#logs-clear", (d) => (d as HTMLDetailsElement).open), false);
    await page.click("#logs-clear summary");
    assert.equal(await page.$eval("#logs-clear", (d) => (d as HTMLDetailsElement).open), true);
    assert.equal(
      await page.$eval("#logs-clear input[name=run_id]", (i) => (i as HTMLInputElement).value),
      runId,
    );
    await Promise.all([
      page.waitForNavigation(),
      page.click("#logs-clear button[type=submit]"),
    ]);
    assert.equal(new URL(page.url()).pathname, "/logs/clear");
    assert.equal(Number(await page.$eval("#logs-clear-count", (s) => s.textContent)), n);
    assert.equal(await records(), n, "nothing deleted before confirming");
    await screenshot(page, "logs-clear-confirm");

    await Promise.all([page.waitForNavigation(), page.click("#logs-clear-go")]);
    const back = new URL(page.url());
    assert.equal(back.pathname, "/logs");
    assert.equal(back.searchParams.get("cleared"), String(n));
    assert.match(
      await page.$eval("#logs-cleared", (p) => p.textContent ?? ""),
      new RegExp(`Cleared ${n} records`),
    );
    assert.equal(await records(), 0);
    const [audit] = await db.sql`
      SELECT target, detail FROM audit_log WHERE action = 'logs_cleared'`;
    assert.equal(audit.target, runId);
    assert.equal(audit.detail.deleted, n);

    // /sessions renders (its counts are tested in sessions_test.ts) and keeps itself current:
    // a log tail opened after the page loaded shows up in its totals without a reload.
    await page.goto("about:blank");
    const apiTotal = async () =>
      (await (await fetch(`${gb.url}/api/v1/sessions`)).json()).totals.total as number;
    await waitFor(async () => (await apiTotal()) === 0, "the /logs page's tail closed");
    await page.goto(`${gb.url}/sessions`);
    assert.equal(await page.$eval("h1", (h) => h.textContent), "Sessions");
    const total = () =>
      page.$eval("#session-totals td[data-transport=total]", (td) => Number(td.textContent));
    assert.equal(await total(), 0);
    const tails = await Promise.all([1, 2].map(() => fetch(`${gb.url}/api/v1/logs/stream`)));
    assert.deepEqual(tails.map((t) => t.status), [200, 200]);
    await waitFor(async () => (await total()) === 2, "the new tails on the page", 15_000);
    await screenshot(page, "sessions");
    for (const t of tails) await t.body!.cancel();
    await waitFor(async () => (await total()) === 0, "the tails gone from the page", 15_000);
  } finally {
    await browser.close();
    await gb.close();
    await db.close();
  }
});
