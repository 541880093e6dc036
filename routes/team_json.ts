/** The team overview in the API's spelling (snake_case), for /api/v1/agents and /health. */
import type { McpServerState } from "../agents/mcp/connection.ts";
import type { TeamOverview } from "../agents/team/overview.ts";
import type { TeamStatus } from "../agents/team/team_holder.ts";

export function teamStatusJson(s: TeamStatus) {
  return {
    source: s.source,
    version: s.version,
    loaded_at: s.loadedAt,
    error: s.error && { at: s.error.at, message: s.error.message, problems: s.error.problems },
  };
}

export function mcpServerJson(s: McpServerState) {
  return {
    name: s.name,
    transport: s.transport,
    command_or_url: s.display,
    state: s.state,
    tools: s.tools.map((t) => t.name),
    last_error: s.lastError,
    restarts: s.restarts,
    connected_at: s.connectedAt === null ? null : new Date(s.connectedAt),
    retry_at: s.retryAt === null ? null : new Date(s.retryAt),
  };
}

export function teamOverviewJson(o: TeamOverview) {
  return {
    team: { ...teamStatusJson(o.status), entry: o.entry },
    agents: o.agents.map((a) => ({
      name: a.name,
      kind: a.kind,
      title: a.title,
      description: a.description,
      provider: a.provider,
      model: a.model,
      entry: a.entry,
      max_steps: a.maxSteps,
      temperature: a.temperature,
      tools: a.tools,
      mcp: a.mcp,
      sub_agents: a.subAgents,
    })),
    providers: o.providers.map((p) => ({
      name: p.name,
      base_url: p.baseUrl,
      demo: p.demo,
      api_key_from: p.apiKeyFrom,
      prices: p.prices,
    })),
    mcp_servers: o.mcpServers.map(mcpServerJson),
  };
}
