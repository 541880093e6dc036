/**
 * Static assets, embedded with text imports (so `deno compile` includes them) and served at
 * versioned URLs with a one-year immutable cache: htmx and its SSE extension by package version,
 * the stylesheet by a hash of its content (computed once at start-up).
 */
import { Hono } from "hono";
import htmxJs from "htmx.org/dist/htmx.min.js" with { type: "text" };
import sseJs from "htmx.org/dist/ext/hx-sse.js" with { type: "text" };
import htmxPkg from "htmx.org/package.json" with { type: "json" };
import appCss from "../static/app.css" with { type: "text" };

export const HTMX_VERSION: string = htmxPkg.version;

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

const utf8 = new TextEncoder();

async function asset(text: string, type: string): Promise<Asset & { hash: string }> {
  const body = utf8.encode(text);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  const hash = Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  return { body, type, etag: `"${hash}"`, hash };
}

const JS = "text/javascript; charset=utf-8";
const css = await asset(appCss, "text/css; charset=utf-8");

/** The stylesheet's content hash: part of its URL, so a changed stylesheet is a new URL. */
export const assetVersion: string = css.hash;

export function assetUrls(version: string = assetVersion) {
  return {
    css: `/assets/app-${version}.css`,
    htmx: `/assets/htmx-${HTMX_VERSION}.min.js`,
    sse: `/assets/hx-sse-${HTMX_VERSION}.js`,
  };
}

const urls = assetUrls();
const table = new Map<string, Asset>([
  [urls.css, css],
  [urls.htmx, await asset(htmxJs, JS)],
  [urls.sse, await asset(sseJs, JS)],
]);

/** True when an If-None-Match header names this ETag (weak or strong, or `*`). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((t) => {
    const tag = t.trim();
    return tag === "*" || tag.replace(/^W\//, "") === etag;
  });
}

/** Mount at the root: `app.route("/", assetRoutes)`. */
export const assetRoutes = new Hono();

assetRoutes.get("/assets/:file", (c) => {
  const a = table.get(c.req.path);
  if (!a) return c.notFound();
  const headers = {
    "cache-control": "public, max-age=31536000, immutable",
    "etag": a.etag,
    "x-content-type-options": "nosniff",
  };
  if (matches(c.req.header("if-none-match"), a.etag)) {
    return c.body(null, 304, headers);
  }
  return c.body(a.body, 200, { ...headers, "content-type": a.type });
});
