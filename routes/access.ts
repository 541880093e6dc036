/**
 * Who is asking, decided once per request, and the gates that use it.
 *
 * - `resolveViewer` sets the Viewer (auth/viewer.ts) on the context: from `Authorization: Bearer
 *   <API key>` on /api/v1 and /demo/v1 (cookies are then ignored; a bad key is a 401 at once),
 *   else from the session cookie (sign-in on), else the local user (nobody signs in).
 * - `requireViewer` is registered after the public routes in app.ts: everything registered after
 *   it needs a viewer, so a new route is closed until someone opens it on purpose. Pages send
 *   the signed-out browser to /sign-in; APIs answer 401.
 * - `requireScope` by method on the APIs: reading needs `read`, anything else `chat`.
 * - `requireAdmin` for the admin pages.
 * Handlers read the viewer with `viewerOf(c)` and pass `ownerScope(viewer, …)` to db queries.
 */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { hasScope, isAdmin, ownerScope, type Scope, type Viewer } from "../auth/viewer.ts";
import type { OwnerScope } from "../db/owner.ts";
import type { Auth } from "../auth/auth.ts";
import { apiError } from "./errors.ts";
import { type EdgeSettings, hasBearer, isHttps } from "./security.ts";

const VIEWER = "viewer";

/** The session cookie's name: `__Host-` bound to the origin when served over https. */
export function sessionCookieName(c: Context, s: EdgeSettings): string {
  return isHttps(c, s) ? "__Host-gb_session" : "gb_session";
}

export function sessionToken(c: Context, s: EdgeSettings): string | undefined {
  return getCookie(c, sessionCookieName(c, s));
}

/** HttpOnly, SameSite=Lax, Path=/, Secure over https; it lasts as long as the session can. */
export function setSessionCookie(c: Context, s: EdgeSettings, token: string, expiresAt: Date) {
  setCookie(c, sessionCookieName(c, s), token, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    secure: isHttps(c, s),
    maxAge: Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000)),
  });
}

export function clearSessionCookie(c: Context, s: EdgeSettings) {
  deleteCookie(c, sessionCookieName(c, s), { path: "/", secure: isHttps(c, s) });
}

/** Paths where programs authenticate with API keys (/metrics: an admin-scoped key). */
const KEY_PATHS = /^\/((api|demo)\/v1(\/|$)|metrics$)/;

export function resolveViewer(auth: Auth, edge: EdgeSettings): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.path.startsWith("/assets/") || c.req.path === "/favicon.ico") return await next();
    let viewer: Viewer | null;
    if (hasBearer(c)) {
      const presented = (c.req.header("authorization") ?? "").replace(/^Bearer\s+/i, "").trim();
      viewer = KEY_PATHS.test(c.req.path) ? await auth.keys.viewer(presented) : null;
      if (!viewer) {
        c.header("WWW-Authenticate", 'Bearer realm="glassbox"');
        return apiError(
          c,
          401,
          "unauthorized",
          KEY_PATHS.test(c.req.path)
            ? "Invalid or revoked API key."
            : "API keys are accepted on /api/v1 only.",
        );
      }
    } else if (auth.mode === "on") {
      viewer = await auth.sessions.viewer(sessionToken(c, edge));
    } else {
      viewer = auth.local;
    }
    if (viewer) c.set(VIEWER as never, viewer as never);
    await next();
  };
}

/** The viewer, or null before sign-in (only public routes see that). */
export function maybeViewer(c: Context): Viewer | null {
  return (c.get(VIEWER as never) as Viewer | undefined) ?? null;
}

/** The viewer of a route behind requireViewer; a missing one is our bug, never an open door. */
export function viewerOf(c: Context): Viewer {
  const viewer = maybeViewer(c);
  if (!viewer) throw new Error(`no viewer on ${c.req.method} ${c.req.path}`);
  return viewer;
}

export function isApiPath(path: string): boolean {
  return KEY_PATHS.test(path);
}

export const requireViewer: MiddlewareHandler = async (c, next) => {
  if (maybeViewer(c)) return await next();
  if (isApiPath(c.req.path)) {
    c.header("WWW-Authenticate", 'Bearer realm="glassbox"');
    return apiError(c, 401, "unauthorized", "Sign in or send an API key (Authorization: Bearer).");
  }
  if (c.req.method === "GET") {
    const next_ = c.req.path + (new URL(c.req.url).search || "");
    return c.redirect(`/sign-in?next=${encodeURIComponent(next_)}`, 303);
  }
  return c.text("Sign in first.", 401);
};

/** On the APIs: GET/HEAD need `read`, other methods `chat`. */
export const requireApiScope: MiddlewareHandler = async (c, next) => {
  const needed: Scope = c.req.method === "GET" || c.req.method === "HEAD" ? "read" : "chat";
  if (hasScope(viewerOf(c), needed)) return await next();
  return apiError(c, 403, "insufficient_scope", `This API key lacks the scope ${needed}.`);
};

/** A scope check inside a handler (the WebSocket's chat and cancel messages need `chat`). */
export function scopeError(viewer: Viewer, scope: Scope): string | null {
  return hasScope(viewer, scope) ? null : `This API key lacks the scope ${scope}.`;
}

export function requireAdmin(
  page: (c: Context) => Response | Promise<Response>,
): MiddlewareHandler {
  return async (c, next) => (isAdmin(viewerOf(c)) ? await next() : await page(c));
}

/** Who a run started by this viewer belongs to, and what its tools may read. */
export function runOwner(viewer: Viewer): { userId: string; visible: OwnerScope } {
  return { userId: viewer.userId, visible: ownerScope(viewer) };
}
