/** GET /sessions (admins only; a member gets the 403 page): routes/sessions.ts, as a page. */
import { type Context, Hono } from "hono";
import { CallsProblemPage } from "../../views/calls/shell.tsx";
import { SessionsPage } from "../../views/sessions/page.tsx";
import { requireAdmin } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { sessionsSnapshot } from "../sessions.ts";
import { pageChrome } from "./chrome.ts";

export function sessionsPages(deps: AppDeps): Hono {
  const app = new Hono();
  const forbidden = (c: Context) =>
    c.html(
      CallsProblemPage({
        ...pageChrome(deps, c),
        heading: "Admins only",
        message: "This page is for admins.",
      }),
      403,
    );
  app.get(
    "/sessions",
    requireAdmin(forbidden),
    async (c) =>
      c.html(SessionsPage({ ...pageChrome(deps, c), snapshot: await sessionsSnapshot(deps) })),
  );
  return app;
}
