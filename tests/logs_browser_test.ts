/**
 * The logs page in a real Chromium (CSP on): the filter form puts the filter in the URL and a
 * reload keeps it; a run started elsewhere appears live at the top of the table; Pause holds
 * arriving rows back (they reach the page but are not shown) and Follow shows them; a row links
 * to its run. Screenshot: logs-live.
 */
import assert from "node:assert/strict";
import { chromiumAvailable, launchBrowser, screenshot } from "./support/browser.ts";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { postJson, startGlassbox } from "./support/server.ts";

const ignore = (await skipWithoutPostgres()) || !chromiumAvailable();

Deno.test(
  { name: "logs browser: filter in the URL, live tail, Pause and Follow", ignore },
  async () => {
    const db = await freshPostgres();
    const gb = await startGlassbox({ DATABASE_URL: db.url });
    const browser = await launchBrowser();
    const chat = async (message: string) =>
      (await (await postJson(`${gb.url}/api/v1/chat`, { message })).json()) as {
        run_id: string;
        conversation_id: string;
      };
    try {
      const first = await chat("What is 17 * 23?");
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });

      // The filter form: a search and a level, sent as the page's own URL.
      await page.goto(`${gb.url}/logs`);
      await page.type("input[name=q]", "calculator");
      await page.select("select[name=level]", "info");
      await Promise.all([
        page.waitForNavigation(),
        page.click("form.logs-filters button[type=submit]"),
      ]);
      const url = new URL(page.url());
      assert.equal(url.pathname, "/logs");
      assert.equal(url.searchParams.get("q"), "calculator");
      assert.equal(url.searchParams.get("level"), "info");
      await page.reload();
      assert.equal(
        await page.$eval("input[name=q]", (i) => (i as HTMLInputElement).value),
        "calculator",
      );
      assert.equal(
        await page.$eval("select[name=level]", (s) => (s as HTMLSelectElement).value),
        "info",
      );
      const shown = await page.$$eval(
        "#log-rows .log-message",
        (tds) => tds.map((t) => t.textContent ?? ""),
      );
      assert.ok(shown.length > 0, "the first run's records match");
      assert.ok(
        shown.every((m) => /calculator/i.test(m)),
        shown.join(" | "),
      );

      // Live: a run started elsewhere arrives at the top.
      await page.goto(`${gb.url}/logs`);
      await page.evaluate(() => {
        const w = window as unknown as { arrived: number };
        w.arrived = 0;
        document.addEventListener("htmx:sse:before:message", () => w.arrived++);
      });
      const second = await chat("What time is it in Asia/Tokyo?");
      const rowsOf = (run: string) =>
        page.$$eval(`#log-live a[href="/logs?run_id=${run}"]`, (a) => a.length);
      await page.waitForFunction(
        (run) => document.querySelectorAll(`#log-live a[href="/logs?run_id=${run}"]`).length > 0,
        { timeout: 20_000 },
        second.run_id,
      );
      assert.equal(await rowsOf(first.run_id), 0, "history is not repeated as live");
      const link = await page.$eval(
        `#log-live tr:has(a[href="/logs?run_id=${second.run_id}"]) .log-time a`,
        (a) => a.getAttribute("href"),
      );
      assert.equal(
        link,
        `/c/${second.conversation_id}#turn-${second.run_id}`,
        "a row links to its run",
      );
      await screenshot(page, "logs-live");

      // Pause: rows still reach the page, none is shown; Follow shows them.
      await page.click("#logs-follow");
      assert.equal(await page.$eval("#logs-follow", (b) => b.textContent), "Follow");
      const before = await page.evaluate(() => (window as unknown as { arrived: number }).arrived);
      const third = await chat("What is 2 + 2?");
      await page.waitForFunction(
        (n) => (window as unknown as { arrived: number }).arrived > n,
        { timeout: 20_000 },
        before,
      );
      assert.equal(await rowsOf(third.run_id), 0, "paused: arrived, not shown");
      await page.click("#logs-follow");
      assert.equal(await page.$eval("#logs-follow", (b) => b.textContent), "Pause");
      await page.waitForFunction(
        (run) => document.querySelectorAll(`#log-live a[href="/logs?run_id=${run}"]`).length > 0,
        { timeout: 20_000 },
        third.run_id,
      );
      const stored = await db.sql`
      SELECT count(*)::int AS n FROM events WHERE run_id = ${third.run_id} AND name = 'glassbox.log'`;
      await page.waitForFunction(
        (run, n) =>
          document.querySelectorAll(`#log-live a[href="/logs?run_id=${run}"]`).length === n,
        { timeout: 20_000 },
        third.run_id,
        stored[0].n,
      );
    } finally {
      await browser.close();
      await gb.close();
      await db.close();
    }
  },
);
