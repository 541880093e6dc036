/// <reference lib="dom" />
import assert from "node:assert/strict";
import { chromiumAvailable, launchBrowser, screenshot } from "./support/browser.ts";

const PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>smoke</title></head>
<body>
  <p id="status">waiting</p>
  <button id="go" onclick="document.getElementById('status').textContent = 'clicked'">Go</button>
</body></html>`;

Deno.test({
  name: "browser smoke: Chromium loads a page, a click changes its text, a screenshot is saved",
  ignore: !chromiumAvailable(),
  fn: async () => {
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen: () => {} },
      () => new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }),
    );
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${server.addr.port}/`, { waitUntil: "load" });
      assert.equal(await page.$eval("#status", (el) => el.textContent), "waiting");

      await page.click("#go");
      await page.waitForFunction(() =>
        document.getElementById("status")?.textContent !== "waiting"
      );
      assert.equal(await page.$eval("#status", (el) => el.textContent), "clicked");

      const file = await screenshot(page, "browser-smoke");
      const png = await Deno.readFile(file);
      assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], "a PNG file");
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});
