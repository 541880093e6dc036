import assert from "node:assert/strict";
import { Hono } from "hono";
import { assetUrls, assetVersion, HTMX_VERSION } from "../static/assets.ts";
import { assetRoutes } from "./assets.ts";

const app = new Hono().route("/", assetRoutes);
const urls = assetUrls();
const IMMUTABLE = "public, max-age=31536000, immutable";

Deno.test("versioned URLs: htmx and hx-sse by package version, CSS and JS by content hash", async () => {
  assert.equal(HTMX_VERSION, "4.0.1");
  assert.equal(urls.htmx, "/assets/htmx-4.0.1.min.js");
  assert.equal(urls.sse, "/assets/hx-sse-4.0.1.js");
  const hex = await contentHash("app.css");
  assert.equal(assetVersion, hex);
  assert.equal(urls.css, `/assets/app-${hex}.css`);
  assert.equal(assetUrls("abc").css, "/assets/app-abc.css");
  assert.equal(urls.js, `/assets/app-${await contentHash("app.js")}.js`);
});

/** The first 8 bytes of the SHA-256 of static/<file>, in hex. */
async function contentHash(file: string): Promise<string> {
  const bytes = await Deno.readFile(new URL(`../static/${file}`, import.meta.url));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

for (
  const [name, type, marker] of [
    ["htmx", "text/javascript; charset=utf-8", "htmx"],
    ["sse", "text/javascript; charset=utf-8", "hx-sse"],
    ["css", "text/css; charset=utf-8", "--accent"],
    ["js", "text/javascript; charset=utf-8", "htmx:before:request"],
  ] as const
) {
  Deno.test(`${name}: content type, immutable cache, ETag, 304 on If-None-Match`, async () => {
    const res = await app.request(urls[name]);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), type);
    assert.equal(res.headers.get("cache-control"), IMMUTABLE);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    const etag = res.headers.get("etag")!;
    assert.match(etag, /^"[0-9a-f]{16}"$/);
    const body = await res.text();
    assert.ok(body.length > 1000 && body.includes(marker));

    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const again = await app.request(urls[name], { headers: { "if-none-match": inm } });
      assert.equal(again.status, 304, inm);
      assert.equal(again.headers.get("etag"), etag);
      assert.equal(again.headers.get("cache-control"), IMMUTABLE);
      assert.equal(await again.text(), "");
    }
    const stale = await app.request(urls[name], { headers: { "if-none-match": `"nope"` } });
    assert.equal(stale.status, 200);
    await stale.body?.cancel();
  });
}

Deno.test("the embedded stylesheet is static/app.css", async () => {
  const res = await app.request(urls.css);
  assert.equal(
    await res.text(),
    await Deno.readTextFile(new URL("../static/app.css", import.meta.url)),
  );
});

Deno.test("unknown or outdated asset names are 404", async () => {
  for (const path of ["/assets/app-0000.css", "/assets/htmx-3.0.0.min.js", "/assets/nope.js"]) {
    const res = await app.request(path);
    assert.equal(res.status, 404, path);
    await res.body?.cancel();
  }
});

Deno.test("HEAD answers like GET without a body", async () => {
  const res = await app.request(urls.htmx, { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), IMMUTABLE);
  assert.equal(await res.text(), "");
});

Deno.test("the favicon: an SVG at a versioned URL (immutable) and at /favicon.ico (a day)", async () => {
  const svg = await Deno.readTextFile(new URL("../static/favicon.svg", import.meta.url));
  assert.equal(urls.icon, `/assets/favicon-${await contentHash("favicon.svg")}.svg`);
  for (const [path, cache] of [[urls.icon, IMMUTABLE], ["/favicon.ico", "public, max-age=86400"]]) {
    const res = await app.request(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-type"), "image/svg+xml");
    assert.equal(res.headers.get("cache-control"), cache);
    assert.equal(await res.text(), svg);
    const etag = res.headers.get("etag")!;
    const again = await app.request(path, { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304, path);
  }
});
