/**
 * Request ids and the request log, the app's first middleware:
 * - every response carries `x-request-id`: the client's own when it is a plausible id (up to 128
 *   letters, digits and `._:-`, so a proxy's or a trace's id is kept), else a new UUID; error
 *   bodies carry it too (routes/errors.ts);
 * - every request is logged (id, method, path, status, duration to the response head — for a
 *   stream, its start) and handed to `record`, which stores it in batches, so the logs explorer
 *   finds it. Assets, /health and the favicon answered fine are logged at debug and not stored:
 *   a page load or a monitor would otherwise bury everything else.
 * The path is logged without its query string, which may carry secrets (an OIDC code).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "@logtape/logtape";
import { storable, truncate } from "../agents/spine/text.ts";
import type { HttpRecord } from "../db/log_records.ts";

export const REQUEST_ID_HEADER = "x-request-id";
const REQUEST_ID = "requestId";
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const QUIET = /^\/(assets\/|health$|favicon\.ico$)/;
const MAX_PATH = 1000;

/** The id of this request (set by requestLog). */
export function requestIdOf(c: Context): string | undefined {
  return c.get(REQUEST_ID as never) as string | undefined;
}

export function requestLog(opts: {
  log: Logger;
  record: (r: HttpRecord) => void;
  /** Who asked, once the request is answered (null: nobody signed in). */
  userOf: (c: Context) => string | null;
}): MiddlewareHandler {
  return async (c, next) => {
    const at = new Date();
    const t0 = performance.now();
    const incoming = c.req.header(REQUEST_ID_HEADER);
    const requestId = incoming !== undefined && VALID_ID.test(incoming)
      ? incoming
      : crypto.randomUUID();
    c.set(REQUEST_ID as never, requestId as never);
    await next();
    setHeader(c, requestId);
    const status = c.res.status;
    const durationMs = performance.now() - t0;
    const path = truncate(storable(c.req.path), MAX_PATH);
    const method = c.req.method;
    const quiet = status < 400 && QUIET.test(path);
    const props = { requestId, method, path, status, durationMs: Math.round(durationMs * 10) / 10 };
    const line = "{method} {path} {status} {durationMs} ms";
    if (quiet) opts.log.debug(line, props);
    else if (status >= 500) opts.log.error(line, props);
    else opts.log.info(line, props);
    if (quiet) return;
    opts.record({
      at,
      requestId,
      userId: opts.userOf(c),
      method,
      path,
      status,
      durationMs,
    });
  };
}

/** Some responses (a proxied fetch's) have immutable headers: those are copied first. */
function setHeader(c: Context, requestId: string) {
  try {
    c.res.headers.set(REQUEST_ID_HEADER, requestId);
  } catch {
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set(REQUEST_ID_HEADER, requestId);
  }
}
