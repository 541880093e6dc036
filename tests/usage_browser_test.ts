/**
 * The usage page in headless Chromium (CSP on): the charts are drawn (SVG bars, lines and
 * rankings with a visible size), each beside its table, a bar is a link that leads to its calls,
 * and the filter form keeps its choice in the URL. Screenshots usage and usage-phone.
 */
/// <reference lib="dom" />
import assert from "node:assert/strict";
import { chromiumAvailable, launchBrowser, screenshot } from "./support/browser.ts";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startGlassbox } from "./support/server.ts";
import { seedUsage } from "./support/usage_seed.ts";
import { LOCAL_USER_ID } from "../db/users.ts";

const ignore = (await skipWithoutPostgres()) || !chromiumAvailable();

Deno.test(
  { name: "usage browser: charts and tables render, bars lead to calls", ignore },
  async () => {
    const db = await freshPostgres();
    const gb = await startGlassbox({ DATABASE_URL: db.url });
    const browser = await launchBrowser();
    try {
      await seedUsage(db.sql, { users: [LOCAL_USER_ID], calls: 300 });
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      await page.goto(`${gb.url}/usage`);
      const shape = await page.evaluate(() => {
        const figures = [...document.querySelectorAll("figure.chart")];
        return {
          figures: figures.length,
          withTable: figures.filter((f) => f.querySelector("table.chart-table")).length,
          bars: [...document.querySelectorAll("#chart-cost svg rect.mark")]
            .filter((r) => r.getBoundingClientRect().height > 0).length,
          lines: document.querySelectorAll("#chart-latency svg path.line").length,
          ranks: document.querySelectorAll("#chart-top-agents svg rect.mark").length,
          svgWidth:
            document.querySelector("#chart-cost svg.chart-svg")!.getBoundingClientRect().width,
        };
      });
      assert.equal(shape.figures, 10);
      assert.equal(shape.withTable, 10, "every chart has its table");
      assert.ok(shape.bars > 5 && shape.lines === 2 && shape.ranks > 1, JSON.stringify(shape));
      assert.ok(
        shape.svgWidth > 300,
        `the chart is drawn at a readable size: ${JSON.stringify(shape)}`,
      );
      await screenshot(page, "usage");

      // The filter form puts the choice in the URL.
      await page.select("select[name=period]", "30d");
      await Promise.all([page.waitForNavigation(), page.click("form.calls-filters button")]);
      assert.ok(page.url().includes("period=30d"));

      // A bar leads to its calls.
      const bar = await page.$("#chart-calls svg a.mark-link");
      const value = await bar!.$eval("rect", (r) => Number(r.getAttribute("data-value")));
      await Promise.all([page.waitForNavigation(), bar!.click()]);
      assert.ok(new URL(page.url()).pathname === "/calls");
      const rows = await page.$$eval("#calls-table tbody tr", (trs) => trs.length);
      assert.equal(rows, Math.min(value, 50));

      await page.setViewport({ width: 390, height: 844 });
      await page.goto(`${gb.url}/usage`);
      await screenshot(page, "usage-phone");
    } finally {
      await browser.close();
      await gb.close();
      await db.close();
    }
  },
);
