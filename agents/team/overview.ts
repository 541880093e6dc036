/**
 * The team as plain data for pages and APIs: where it came from and its version, the last
 * reload's problems, each agent (model, tools — built-in and each MCP server's current ones —,
 * sub-agents), each provider (no key: only the variable it comes from) and each MCP server's
 * state. Nothing here can hold a secret's value.
 */
import type { McpServerState } from "../mcp/connection.ts";
import type { PriceTable } from "../llm/cost.ts";
import type { Team } from "./team.ts";
import type { TeamStatus } from "./team_holder.ts";

export interface AgentOverview {
  name: string;
  kind: "llm" | "agui";
  title: string;
  description: string;
  provider: string;
  model: string;
  entry: boolean;
  maxSteps: number;
  temperature: number | null;
  /** Built-in tools by name. */
  tools: string[];
  /** Per MCP server: the tools the agent gets from it now (listed by the server). */
  mcp: { server: string; only: string[] | null; tools: string[]; state: string }[];
  subAgents: string[];
}

export interface ProviderOverview {
  name: string;
  baseUrl: string;
  demo: boolean;
  /** "$OPENAI_API_KEY", never the key. */
  apiKeyFrom: string | null;
  prices: PriceTable;
}

export interface TeamOverview {
  status: TeamStatus;
  entry: string[];
  agents: AgentOverview[];
  providers: ProviderOverview[];
  mcpServers: McpServerState[];
}

export function teamOverview(team: Team, status: TeamStatus): TeamOverview {
  const entry = team.spec.entry;
  const mcpServers = [...team.connections().values()].map((c) => c.status());
  const byServer = new Map(mcpServers.map((s) => [s.name, s]));
  return {
    status,
    entry,
    agents: team.spec.agents.map((a) => ({
      name: a.name,
      kind: a.kind,
      title: a.title,
      description: a.description,
      provider: a.model.provider,
      model: a.model.model,
      entry: entry.includes(a.name),
      maxSteps: a.maxSteps,
      temperature: a.temperature ?? null,
      tools: a.tools,
      mcp: a.mcp.map(({ server, tools }) => {
        const s = byServer.get(server)!;
        const listed = s.tools.map((t) => t.name);
        return {
          server,
          only: tools,
          tools: tools ? listed.filter((t) => tools.includes(t)) : listed,
          state: s.state,
        };
      }),
      subAgents: a.subAgents,
    })),
    providers: team.usedProviders().map((p) => ({
      name: p.name,
      baseUrl: p.baseUrl,
      demo: p.demo,
      apiKeyFrom: p.apiKeyFrom,
      prices: p.prices,
    })),
    mcpServers,
  };
}
