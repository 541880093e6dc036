/**
 * The edge, in every mode (a foreign web page can post to a server on localhost too):
 * - hostGuard: DNS rebinding. A page on http://evil.example:8000 whose name re-resolves to
 *   127.0.0.1 is same-origin with Glassbox to the browser and to the CSRF check. With a public
 *   URL, or listening on loopback (not behind a trusted proxy), only the public URL's host and
 *   the loopback names are served (421 otherwise).
 * - csrfGuard: hono/csrf on every state-changing form request: Sec-Fetch-Site same-origin, or an
 *   Origin equal to the public origin. JSON bodies need a CORS preflight that Glassbox never
 *   answers (and validJson insists on application/json). Bearer-key requests carry no ambient
 *   authority and skip it (routes/access.ts ignores cookies on them), and so do requests with
 *   neither Origin nor Sec-Fetch-Site: every current browser sends one of them on a POST (Origin
 *   since Chrome 67/Firefox 70, Sec-Fetch-Site since Chrome 76/Firefox 90/Safari 16.4), so such
 *   a request is a program (curl), not a page in someone's browser.
 * - webSocketOrigin: the upgrade is a GET that csrf never sees, and Chromium sends no
 *   Sec-Fetch-Site on it: a browser's handshake from another origin (another port on the same
 *   host is same-site, so Lax cookies are sent) is refused. Non-browser clients send no Origin.
 * - securityHeaders: a CSP with no inline script or style, no framing, nosniff, a referrer
 *   policy that keeps Origin on same-origin form posts; HSTS only when served over https.
 * - the public origin, https and the client IP, from X-Forwarded-* only behind a trusted proxy.
 */
import type { Context, MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import { getConnInfo } from "hono/deno";
import { apiError } from "./errors.ts";

export interface EdgeSettings {
  /** One reverse proxy in front that sets X-Forwarded-Proto/Host/For. */
  trustProxy: boolean;
  /** The origin browsers use; wins over any header. */
  publicOrigin: string | null;
  /** Glassbox listens on a loopback address only. */
  loopback: boolean;
}

/** The origin the browser sees. Only a trusted proxy's X-Forwarded-Proto/Host count. */
export function publicOrigin(c: Context, s: EdgeSettings): string {
  if (s.publicOrigin) return s.publicOrigin;
  const url = new URL(c.req.url);
  if (!s.trustProxy) return url.origin;
  const proto = lastListValue(c.req.header("x-forwarded-proto"));
  const host = lastListValue(c.req.header("x-forwarded-host")) ?? url.host;
  const scheme = proto === "https" || proto === "http" ? proto : url.protocol.slice(0, -1);
  return `${scheme}://${host}`;
}

export function isHttps(c: Context, s: EdgeSettings): boolean {
  return publicOrigin(c, s).startsWith("https://");
}

/**
 * The client's address, for throttling and the audit log. Behind one trusted proxy: the LAST
 * X-Forwarded-For entry (the address the proxy saw; earlier ones are the client's own claims).
 */
export function clientIp(c: Context, s: EdgeSettings): string {
  if (s.trustProxy) {
    const forwarded = lastListValue(c.req.header("x-forwarded-for"));
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown"; // app.request() has no connection
  }
}

function lastListValue(header: string | undefined): string | undefined {
  const v = header?.split(",").at(-1)?.trim();
  return v || undefined;
}

export function hasBearer(c: Context): boolean {
  return /^Bearer\s/i.test(c.req.header("authorization") ?? "");
}

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

export function hostGuard(s: EdgeSettings): MiddlewareHandler {
  const publicHost = s.publicOrigin ? new URL(s.publicOrigin).hostname : null;
  // Without a public URL, on a LAN address (sign-in is on then, and a rebound name gets no
  // cookies of ours) or behind a trusted proxy (its virtual hosts decide which names reach us),
  // any name may reach us.
  const active = publicHost !== null || (s.loopback && !s.trustProxy);
  return async (c, next) => {
    if (!active) return await next();
    // Deno.serve builds the URL from the Host header: url.hostname is what the client sent.
    const sent = s.trustProxy
      ? lastListValue(c.req.header("x-forwarded-host")) ?? new URL(c.req.url).host
      : new URL(c.req.url).host;
    const name = URL.canParse(`http://${sent}`) ? new URL(`http://${sent}`).hostname : "";
    if (name === publicHost || LOOPBACK_NAMES.has(name)) return await next();
    return apiError(c, 421, "unknown_host", "This server does not answer to that host name.");
  };
}

export function csrfGuard(s: EdgeSettings): MiddlewareHandler {
  const guard = csrf({ origin: (origin, c) => origin === publicOrigin(c, s) });
  return (c, next) => {
    const fromBrowser = c.req.header("origin") !== undefined ||
      c.req.header("sec-fetch-site") !== undefined;
    return hasBearer(c) || !fromBrowser ? next() : guard(c, next);
  };
}

export function webSocketOrigin(s: EdgeSettings): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (hasBearer(c) || origin === undefined || origin === publicOrigin(c, s)) return await next();
    return apiError(c, 403, "forbidden_origin", "Cross-origin WebSocket refused.");
  };
}

export function securityHeaders(s: EdgeSettings): MiddlewareHandler {
  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    // hono's default, no-referrer, makes Chromium send `Origin: null` on same-origin form posts.
    referrerPolicy: "same-origin",
    xFrameOptions: "DENY",
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  });
  return async (c, next) => {
    await headers(c, next);
    if (isHttps(c, s)) c.res.headers.set("Strict-Transport-Security", "max-age=31536000");
  };
}
