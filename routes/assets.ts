/**
 * Serves the asset catalogue (static/assets.ts) at its versioned URLs with a one-year immutable
 * cache; `hono/etag` answers a matching If-None-Match with 304 from the catalogue's ETag. The
 * favicon is also at /favicon.ico (asked for by browsers and tools whatever the page links), with
 * a day's cache since that URL never changes.
 */
import { Hono } from "hono";
import { etag } from "hono/etag";
import { ASSETS, favicon } from "../static/assets.ts";

/** Mount at the root: `app.route("/", assetRoutes)`. */
export const assetRoutes = new Hono();

assetRoutes.use("/assets/*", etag());
assetRoutes.use("/favicon.ico", etag());
assetRoutes.get("/assets/:file", (c) => {
  const a = ASSETS.get(c.req.path);
  if (!a) return c.notFound();
  return c.body(a.body, 200, {
    "content-type": a.type,
    "cache-control": "public, max-age=31536000, immutable",
    "etag": a.etag,
    "x-content-type-options": "nosniff",
  });
});

assetRoutes.get("/favicon.ico", (c) =>
  c.body(favicon.body, 200, {
    "content-type": favicon.type,
    "cache-control": "public, max-age=86400",
    "etag": favicon.etag,
    "x-content-type-options": "nosniff",
  }));
