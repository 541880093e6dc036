/**
 * One shape for every API error: `{ error: { code, message, request_id } }` with a 4xx/5xx
 * status; the request id is also the response's x-request-id, so a report can be found in /logs.
 */
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  RateLimitedError,
  UnavailableError,
} from "../agents/runs/errors.ts";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { requestIdOf } from "./request_log.ts";
import { isDatabaseUnavailable } from "../db/client.ts";
import { errorPage } from "../views/common/error_page.tsx";
import { assetVersion } from "../static/assets.ts";

export function apiError(c: Context, status: ContentfulStatusCode, code: string, message: string) {
  return c.json({ error: { code, message, request_id: requestIdOf(c) ?? null } }, status);
}

export interface Refusal {
  status: 400 | 404 | 409 | 429 | 503;
  code: string;
  message: string;
  /** With 429 and 503: seconds until a retry may succeed (the Retry-After header). */
  retryAfterS?: number;
}

/** How a refused run start is told to the client; null for errors that are ours (a 500). */
export function runStartRefusal(err: unknown): Refusal | null {
  if (err instanceof RateLimitedError) {
    return {
      status: 429,
      code: "rate_limited",
      message: err.message,
      retryAfterS: err.retryAfterS,
    };
  }
  if (isDatabaseUnavailable(err)) {
    return {
      status: 503,
      code: "database_unavailable",
      message: "the database is unreachable right now; start the run again in a few seconds",
      retryAfterS: 5,
    };
  }
  if (err instanceof UnavailableError) {
    return { status: 503, code: "unavailable", message: err.message, retryAfterS: err.retryAfterS };
  }
  if (err instanceof NotFoundError) return { status: 404, code: "not_found", message: err.message };
  if (err instanceof ConflictError) return { status: 409, code: "conflict", message: err.message };
  if (err instanceof BadRequestError) {
    return { status: 400, code: "invalid_body", message: err.message };
  }
  return null;
}

/** A refused start as an API error, with Retry-After on a 429. */
export function refusalResponse(c: Context, r: Refusal): Response {
  if (r.retryAfterS !== undefined) c.header("Retry-After", String(r.retryAfterS));
  return apiError(c, r.status, r.code, r.message);
}

/**
 * SQLSTATEs of text Postgres refuses to store: 22021 (a NUL, or a byte sequence invalid in the
 * database's encoding) and 22P05 (untranslatable character). The input is at fault: a 400.
 */
const UNSTORABLE_TEXT = new Set(["22021", "22P05"]);

export function isUnstorableText(err: unknown): boolean {
  return UNSTORABLE_TEXT.has(String((err as { code?: unknown } | null)?.code));
}

export const UNSTORABLE_MESSAGE = "the text contains characters that cannot be stored " +
  "(a NUL character, or invalid Unicode such as a lone surrogate)";

/** Whether a path's errors are pages rather than JSON: everything but the APIs and /health. */
export function isPagePath(path: string): boolean {
  return !/^\/(api|demo)\//.test(path) && path !== "/health";
}

/** An error in the shape the route's clients read: a page for pages, else the API error. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
): Response | Promise<Response> {
  if (!isPagePath(c.req.path)) return apiError(c, status, code, message);
  const title = status >= 500 ? "Something went wrong" : "That did not work";
  const page = errorPage({ assetVersion, title, message, requestId: requestIdOf(c) ?? null });
  return c.html(page, status);
}
