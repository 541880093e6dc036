/// <reference lib="dom" />
/**
 * Cross-site request forgery in a real Chromium: a signed-in user visits a hostile page served
 * from another loopback port (same site, another origin: Chromium sends the SameSite=Lax session
 * cookie along). The page opens a WebSocket to /api/v1/ws and auto-submits a form to /chat. Both
 * are refused (Origin checks), no run starts, and the user's own page still works.
 */
import assert from "node:assert/strict";
import { chromiumAvailable, launchBrowser } from "./support/browser.ts";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startGlassbox } from "./support/server.ts";

const ignore = !chromiumAvailable() || await skipWithoutPostgres();

/** The hostile page: try the socket, tell its own server what happened, then post the form. */
function hostilePage(target: string): string {
  return `<!DOCTYPE html><html><body>
<form id="f" method="post" action="${target}/chat">
  <input name="message" value="pwned: spend the owner's money">
</form>
<script>
  const report = (what) => fetch("/report", { method: "POST", body: what });
  const ws = new WebSocket("${target.replace("http", "ws")}/api/v1/ws");
  let opened = false;
  ws.onopen = () => { opened = true; ws.send(JSON.stringify({ type: "chat", message: "pwned" })); };
  ws.onmessage = (e) => report("ws message " + e.data);
  ws.onclose = (e) => report("ws " + (opened ? "opened then closed" : "refused") + " " + e.code)
    .then(() => document.getElementById("f").submit());
</script></body></html>`;
}

Deno.test(
  { name: "browser: a foreign origin's form post and WebSocket are refused", ignore },
  async () => {
    const db = await freshPostgres();
    const admin = { email: "root@example.com", password: "correct horse battery staple" };
    const gb = await startGlassbox({
      DATABASE_URL: db.url,
      GLASSBOX_ADMIN_EMAIL: admin.email,
      GLASSBOX_ADMIN_PASSWORD: admin.password,
    });
    const reports: string[] = [];
    let reported: () => void;
    const wsReported = new Promise<void>((r) => reported = r);
    const evil = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
      if (new URL(req.url).pathname === "/report") {
        reports.push(await req.text());
        if (reports.some((r) => r.startsWith("ws "))) reported();
        return new Response("ok");
      }
      return new Response(hostilePage(gb.url), { headers: { "content-type": "text/html" } });
    });
    const evilUrl = `http://127.0.0.1:${evil.addr.port}`;
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      // The victim signs in on Glassbox's own page.
      await page.goto(`${gb.url}/sign-in`);
      await page.type("input[name=email]", admin.email);
      await page.type("input[name=password]", admin.password);
      await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
      assert.equal(new URL(page.url()).pathname, "/");
      const cookies = await browser.cookies();
      assert.ok(cookies.some((c) => c.name === "gb_session"), "signed in");

      // Then visits the hostile page: the socket, then the form navigating to Glassbox.
      const refused = page.waitForResponse((r) => r.url() === `${gb.url}/chat`);
      await page.goto(evilUrl);
      await wsReported;
      const post = await refused;
      assert.equal(post.status(), 403, "the form post is refused");
      assert.equal((await post.json()).error.code, "forbidden");
      assert.ok(
        post.request().headers()["cookie"]?.includes("gb_session"),
        "the cookie was sent: only the Origin check stopped it",
      );
      assert.deepEqual(
        reports.filter((r) => r.startsWith("ws message")),
        [],
        "the socket got nothing",
      );
      assert.ok(reports.some((r) => /^ws refused/.test(r)), reports.join("; "));
      const [{ n }] = await db.sql`SELECT count(*)::int AS n FROM runs`;
      assert.equal(n, 0, "no run started");

      // Back on Glassbox's own page, the same user can ask (same origin passes).
      await page.goto(`${gb.url}/`);
      await page.waitForFunction(() => "htmx" in globalThis);
      await page.type("#message", "What is 2 + 2?");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#run-state.state-succeeded", { timeout: 20_000 });
      const [{ m }] = await db.sql`SELECT count(*)::int AS m FROM runs`;
      assert.equal(m, 1);
    } finally {
      await browser.close();
      await evil.shutdown();
      await gb.close();
      await db.close();
    }
  },
);
