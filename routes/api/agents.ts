/** GET /api/v1/agents — the team as JSON: agents, providers (no keys), MCP servers' state. */
import { Hono } from "hono";
import { teamOverview } from "../../agents/team/overview.ts";
import type { AppDeps } from "../deps.ts";
import { teamOverviewJson } from "../team_json.ts";

export function agentsApi(deps: AppDeps): Hono {
  const app = new Hono();
  app.get(
    "/agents",
    (c) => c.json(teamOverviewJson(teamOverview(deps.teams.current(), deps.teams.status()))),
  );
  return app;
}
