/** GET /api/v1/sessions — active runs and who follows them, per transport (admins only). */
import { Hono } from "hono";
import { isAdmin } from "../../auth/viewer.ts";
import { viewerOf } from "../access.ts";
import type { AppDeps } from "../deps.ts";
import { apiError } from "../errors.ts";
import { sessionsJson, sessionsSnapshot } from "../sessions.ts";

export function sessionsApi(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/sessions", async (c) => {
    if (!isAdmin(viewerOf(c))) {
      return apiError(c, 403, "forbidden", "Admins only (with a key: the admin scope).");
    }
    return c.json(sessionsJson(await sessionsSnapshot(deps)));
  });
  return app;
}
