/** GET /sessions (admins only; a member gets the 403 page): routes/sessions.ts, as a page. */
import { Hono } from "hono";
import { SessionsPage } from "../../views/sessions/page.tsx";
import type { AppDeps } from "../deps.ts";
import { sessionsSnapshot } from "../sessions.ts";
import { pageChrome } from "./chrome.ts";
import { adminOnly } from "./problem.ts";

export function sessionsPages(deps: AppDeps): Hono {
  const app = new Hono();
  app.get(
    "/sessions",
    adminOnly(deps),
    async (c) =>
      c.html(SessionsPage({ ...pageChrome(deps, c), snapshot: await sessionsSnapshot(deps) })),
  );
  return app;
}
