/**
 * Signing in and out (public routes): GET/POST /sign-in (email and password), POST /sign-out,
 * and single sign-on: GET /auth/oidc/start sends the browser to the IdP, /auth/oidc/callback
 * comes back. A sign-in always issues a new session id and ends the one the browser brought.
 * Failures get one generic message; nothing secret (password, code, token) is logged or shown.
 */
import { clip } from "../../agents/spine/text.ts";
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { audit } from "../../auth/audit.ts";
import { PENDING_TTL_MS } from "../../auth/oidc.ts";
import { assetVersion } from "../../static/assets.ts";
import { SignInPage } from "../../views/accounts/sign_in.tsx";
import { clearSessionCookie, maybeViewer, sessionToken, setSessionCookie } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { clientIp, isHttps, publicOrigin } from "../security.ts";
import { formOf } from "./forms.ts";

const OIDC_COOKIE = "gb_oidc";
const OIDC_PATH = "/auth/oidc";

/** A path on this site to go to after signing in; anything else becomes "/". */
export function safeNext(raw: unknown): string {
  if (typeof raw !== "string" || raw.length > 2000) return "/";
  // One leading slash only: "//evil.example" and "/\\evil.example" are other sites.
  if (!/^\/(?![/\\])/.test(raw) || /\p{Cc}/u.test(raw)) return "/";
  return raw;
}

export function authPages(deps: AppDeps): Hono {
  const app = new Hono();
  const { auth, edge } = deps;
  const client = (c: Context) => ({
    ip: clientIp(c, edge),
    userAgent: c.req.header("user-agent") ?? "",
  });
  const page = (c: Context, status: 200 | 400 | 401 | 403 | 429 | 503, p: {
    next: string;
    email?: string;
    error?: string | null;
  }) => {
    c.header("Cache-Control", "no-store");
    return c.html(SignInPage({ assetVersion, sso: auth.oidc !== null, ...p }), status);
  };

  app.get("/sign-in", (c) => {
    const next = safeNext(c.req.query("next"));
    if (auth.mode !== "on" || maybeViewer(c)) return c.redirect(next, 303);
    return page(c, 200, { next });
  });

  app.post("/sign-in", async (c) => {
    if (auth.mode !== "on") return c.redirect("/", 303);
    const form = await formOf(c);
    const next = safeNext(form.next);
    const email = form.email ?? "";
    const result = await auth.signIn.attempt({
      email,
      password: form.password ?? "",
      ...client(c),
      replacing: sessionToken(c, edge),
    });
    if (!result.ok) {
      if ("retryAfterS" in result) c.header("Retry-After", String(result.retryAfterS));
      return page(c, result.status, { next, email: clip(email, 320), error: result.message });
    }
    setSessionCookie(c, edge, result.token, result.expiresAt);
    return c.redirect(next, 303);
  });

  app.post("/sign-out", async (c) => {
    const viewer = maybeViewer(c);
    if (viewer?.via === "session") {
      await auth.sessions.end(sessionToken(c, edge));
      await audit(deps.db.sql, { ...viewer, ip: clientIp(c, edge) }, "sign_out", viewer.email);
    }
    clearSessionCookie(c, edge);
    return c.redirect(auth.mode === "on" ? "/sign-in" : "/", 303);
  });

  app.get(`${OIDC_PATH}/start`, async (c) => {
    if (!auth.oidc || auth.mode !== "on") return c.notFound();
    const next = safeNext(c.req.query("next"));
    const begun = await auth.oidc.begin(`${publicOrigin(c, edge)}${OIDC_PATH}/callback`, next);
    if (!begun) return page(c, 503, { next, error: "The sign-in provider is unreachable." });
    setCookie(c, OIDC_COOKIE, begun.pendingId, {
      httpOnly: true,
      sameSite: "Lax",
      path: OIDC_PATH,
      secure: isHttps(c, edge),
      maxAge: PENDING_TTL_MS / 1000,
    });
    return c.redirect(begun.url.href, 302);
  });

  app.get(`${OIDC_PATH}/callback`, async (c) => {
    if (!auth.oidc || auth.mode !== "on") return c.notFound();
    const pendingId = getCookie(c, OIDC_COOKIE);
    deleteCookie(c, OIDC_COOKIE, { path: OIDC_PATH, secure: isHttps(c, edge) });
    const result = await auth.oidc.complete(
      pendingId,
      new URL(c.req.url),
      client(c),
      sessionToken(c, edge),
    );
    if (!result.ok) return page(c, result.status, { next: "/", error: result.message });
    setSessionCookie(c, edge, result.token, result.expiresAt);
    return c.redirect(result.next, 303);
  });

  return app;
}
