/// <reference lib="dom" />
/**
 * The API reference page in a real Chromium, signed out: Swagger UI, served by Glassbox itself,
 * renders every operation of /openapi.json under the app's CSP (no inline script, nothing from
 * another origin), an operation opens to its parameters, and nothing on the page is a 404 or a
 * console error (the favicon included).
 */
import assert from "node:assert/strict";
import { chromiumAvailable, launchBrowser, screenshot } from "./support/browser.ts";
import { skipWithoutPostgres } from "./support/db.ts";
import { withDemoGlassbox } from "./support/server.ts";

const ignore = !chromiumAvailable() || await skipWithoutPostgres();

Deno.test({ name: "browser: the API reference renders every operation", ignore }, async () => {
  await withDemoGlassbox(async (gb) => {
    const doc = await (await fetch(`${gb.url}/openapi.json`)).json();
    const operations = Object.values(doc.paths as Record<string, object>)
      .reduce((n, ops) => n + Object.keys(ops).length, 0);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const requested: string[] = [];
      page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
      page.on("pageerror", (e) => problems.push(`page error: ${e}`));
      page.on("request", (r) => requested.push(r.url()));
      page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
      await page.goto(`${gb.url}/docs`);
      await page.waitForFunction(
        (n: number) => document.querySelectorAll(".opblock").length === n,
        { timeout: 30_000 },
        operations,
      );
      const paths = await page.$$eval(
        ".opblock-summary-path",
        (els) => els.map((e) => e.getAttribute("data-path")),
      );
      assert.ok(paths.includes("/api/v1/chat"), `rendered paths: ${paths}`);
      assert.ok(paths.includes("/api/v1/runs/{id}/events"));
      // Open one operation: its query parameters from the validator's schema are listed.
      await page.click("#operations-History-getApiV1LlmCalls .opblock-summary-control");
      await page.waitForSelector("#operations-History-getApiV1LlmCalls tr[data-param-name]");
      const params = await page.$$eval(
        "#operations-History-getApiV1LlmCalls tr[data-param-name]",
        (rows) => rows.map((r) => r.getAttribute("data-param-name")),
      );
      assert.deepEqual(params.slice(0, 2), ["run_id", "conversation_id"]);
      await screenshot(page, "api-reference");
      assert.deepEqual(problems, []);
      assert.deepEqual(
        requested.filter((u) => !u.startsWith(gb.url) && !u.startsWith("data:")),
        [],
        "nothing from elsewhere",
      );
    } finally {
      await browser.close();
    }
  });
});
