/** GET /health — database and model reachability, version; 503 when the database is down. */
import { Hono } from "hono";
import type { AppDeps } from "./deps.ts";

export function healthRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/health", async (c) => {
    const t0 = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const database = await Promise.race([
      deps.db.sql`SELECT 1`.then(() => ({ ok: true, error: null as string | null })),
      new Promise<{ ok: boolean; error: string }>((r) => {
        timer = setTimeout(() => r({ ok: false, error: "no answer within 3 s" }), 3000);
      }),
    ]).catch((err) => ({ ok: false, error: String(err?.message ?? err) }))
      .finally(() => clearTimeout(timer));
    const model = await deps.probeModel();
    const healthy = database.ok && model.ok;
    return c.json({
      status: healthy ? "ok" : database.ok ? "degraded" : "down",
      version: deps.version,
      database: {
        ok: database.ok,
        kind: deps.db.embedded ? "embedded" : "postgres",
        location: deps.db.describe,
        latency_ms: Math.round((performance.now() - t0) * 10) / 10,
        error: database.error,
      },
      model: {
        ok: model.ok,
        name: deps.config.model,
        demo: deps.demo,
        provider: deps.llm.provider,
        detail: model.detail,
      },
      runs: { active: deps.runs.activeRuns },
      hub: deps.hub.stats(),
    }, database.ok ? 200 : 503);
  });
  return app;
}
