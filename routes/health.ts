/**
 * GET /health — database, model endpoints, the team (its version, and the last reload's errors)
 * and every MCP server's state; 503 when the database is down, "degraded" when a provider the
 * team uses does not answer, an MCP server is not connected or the team file's last edit was
 * refused. It is public, but only an admin sees the details (where the database is, the model,
 * providers, MCP servers, runs): everyone else gets the status alone. With sign-in off
 * (GLASSBOX_AUTH=off) everyone is the local admin, so nobody does; the local mode's local user
 * (this machine only) does. MCP command lines and URLs are only on the signed-in agents page.
 */
import { Hono } from "hono";
import type { AppDeps } from "./deps.ts";
import { isAdmin } from "../auth/viewer.ts";
import { maybeViewer } from "./access.ts";
import { mcpServerJson, teamStatusJson } from "./team_json.ts";

export function healthRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/health", async (c) => {
    const t0 = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Well within the request's own deadline (routes/deadline.ts), so /health answers for itself.
    const limitMs = Math.min(3000, Math.floor(deps.config.requestTimeoutMs / 2));
    const database = await Promise.race([
      deps.db.sql`SELECT 1`.then(() => ({ ok: true, error: null as string | null })),
      new Promise<{ ok: boolean; error: string }>((r) => {
        timer = setTimeout(
          () => r({ ok: false, error: `no answer within ${limitMs} ms` }),
          limitMs,
        );
      }),
    ]).catch((err) => ({ ok: false, error: String(err?.message ?? err) }))
      .finally(() => clearTimeout(timer));
    const latencyMs = Math.round((performance.now() - t0) * 10) / 10;
    const team = deps.teams.current();
    const providers = await Promise.all(
      team.usedProviders().map(async (p) => ({
        name: p.name,
        demo: p.demo,
        ...(await p.probe()),
      })),
    );
    const entry = team.defaultModel();
    const model = providers.find((p) => p.name === entry.provider)!;
    const mcp = deps.mcp.states();
    const status = deps.teams.status();
    const healthy = database.ok && providers.every((p) => p.ok) &&
      mcp.every((s) => s.state === "connected") && status.error === null;
    const state = healthy ? "ok" : database.ok ? "degraded" : "down";
    const code = database.ok ? 200 : 503;
    const viewer = maybeViewer(c);
    const details = viewer !== null && isAdmin(viewer) &&
      (viewer.via !== "local" || deps.auth.mode === "local");
    if (!details) return c.json({ status: state }, code);
    return c.json({
      status: state,
      version: deps.version,
      database: {
        ok: database.ok,
        kind: deps.db.embedded ? "embedded" : "postgres",
        location: deps.db.describe,
        latency_ms: latencyMs,
        error: database.error,
      },
      // The default entry agent's model, as before there were teams.
      model: {
        ok: model.ok,
        name: entry.model,
        demo: entry.demo,
        provider: entry.provider,
        detail: model.detail,
      },
      providers,
      team: teamStatusJson(status),
      mcp_servers: mcp.map(mcpServerJson).map(({ command_or_url: _, ...s }) => s),
      runs: { active: deps.runs.activeRuns },
      hub: deps.hub.stats(),
    }, code);
  });
  return app;
}
