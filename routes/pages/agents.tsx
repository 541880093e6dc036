/** GET /agents — the team: agents, their models and tools, providers, MCP servers' state. */
import { Hono } from "hono";
import { teamOverview } from "../../agents/team/overview.ts";
import { AgentsPage } from "../../views/agents/page.tsx";
import type { AppDeps } from "../deps.ts";
import { pageChrome } from "./chrome.ts";

export function agentsPages(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/agents", (c) => {
    const overview = teamOverview(deps.teams.current(), deps.teams.status());
    return c.html(AgentsPage({ ...pageChrome(deps, c), overview }));
  });
  return app;
}
