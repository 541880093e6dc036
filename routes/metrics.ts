/**
 * GET /metrics — the Prometheus exposition (agents/metrics). Who may read it:
 * - a scraper sending `Authorization: Bearer <GLASSBOX_METRICS_TOKEN>` (`metricsByToken`, mounted
 *   before sign-in is looked at, since that token is no API key);
 * - an admin: signed in, or with an API key that has the admin scope (`metricsRoutes`, behind
 *   requireViewer). Anyone else gets 401 (nobody) or 403 (not an admin).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { type Context, Hono } from "hono";
import { isAdmin } from "../auth/viewer.ts";
import { viewerOf } from "./access.ts";
import type { AppDeps } from "./deps.ts";
import { apiError } from "./errors.ts";

async function exposition(c: Context, deps: AppDeps): Promise<Response> {
  const { body, contentType } = await deps.metrics.scrape();
  return c.body(body, 200, { "content-type": contentType, "cache-control": "no-store" });
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** True when the request carries the configured metrics token (compared in constant time). */
function presentsToken(c: Context, token: string | null): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  return token !== null && m !== null && timingSafeEqual(digest(m[1]), digest(token));
}

/** Serves a scraper presenting GLASSBOX_METRICS_TOKEN; anyone else goes on to sign-in. */
export function metricsByToken(deps: AppDeps): Hono {
  const app = new Hono();
  const token = deps.config.auth.metricsToken;
  app.get("/metrics", (c, next) => presentsToken(c, token) ? exposition(c, deps) : next());
  return app;
}

/** For admins (session, or an API key with the admin scope). */
export function metricsRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get(
    "/metrics",
    (c) =>
      isAdmin(viewerOf(c)) ? exposition(c, deps) : apiError(
        c,
        403,
        "forbidden",
        "/metrics is for admins, admin-scoped keys and the metrics token",
      ),
  );
  return app;
}
