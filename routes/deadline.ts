/**
 * A request's deadline: a request that has no response headers after `ms` is answered 503
 * database_unavailable (with Retry-After) through the app's error handler. What could hold it
 * that long is the database not answering (postgres.js can wait for ever, see db/client.ts);
 * the work itself goes on and its late result is dropped. Routes whose answer legitimately takes
 * longer (the non-streaming chat API waits for the whole run; cancel waits for its end) call
 * `longWait(c)` once the database part is behind them; the LLM gateway and the demo model are
 * not under it at all. A streamed body is not under it: its headers went out.
 */
import type { Context, MiddlewareHandler } from "hono";
import { DatabaseTimeoutError } from "../db/client.ts";

const LONG_WAIT = "glassbox.longWait";

/** From now on this request may take as long as it needs. */
export function longWait(c: Context): void {
  c.set(LONG_WAIT as never, true as never);
}

export function requestDeadline(ms: number, exempt: (path: string) => boolean): MiddlewareHandler {
  return async (c, next) => {
    if (exempt(c.req.path) || c.req.header("upgrade") === "websocket") return await next();
    const work = next().then(() => "done" as const);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), ms));
    try {
      if ((await Promise.race([work, late])) === "done") return;
    } finally {
      clearTimeout(timer);
    }
    if (c.get(LONG_WAIT as never)) return void await work;
    // Its outcome no longer matters to anyone; its failure must not go unhandled.
    work.catch(() => {});
    throw new DatabaseTimeoutError(`${c.req.method} ${c.req.path}`, ms);
  };
}
