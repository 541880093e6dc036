/**
 * A team: one version of the team file made runnable — its agents (each with its provider's
 * recording client and model, built-in tools, MCP tool sources and sub-agents), its providers and
 * the MCP connections it holds. Immutable once built. A run holds the team it started with until
 * it ends (retain/release), so a reload never changes a running run; the last holder to let go
 * releases the team's MCP servers.
 */
import type { Provider, ProviderRegistry } from "../llm/providers.ts";
import type { McpConnection } from "../mcp/connection.ts";
import type { McpServers } from "../mcp/servers.ts";
import { mcpToolSource } from "../mcp/tool_source.ts";
import { truncate } from "../spine/text.ts";
import type { AgentDef, ToolDef, ToolSource } from "../runtime/types.ts";
import { BUILTIN_TOOLS } from "./builtin_tools.ts";
import type { AgentSpec, TeamSpec } from "./team_file.ts";

export class Team {
  readonly agents = new Map<string, AgentDef>();
  readonly entries: AgentDef[];
  readonly #connections = new Map<string, McpConnection>();
  #holders = 1;

  constructor(
    readonly spec: TeamSpec,
    readonly providers: ProviderRegistry,
    private readonly mcp: McpServers,
  ) {
    for (const s of spec.mcpServers) this.#connections.set(s.name, mcp.acquire(s));
    const specs = new Map(spec.agents.map((a) => [a.name, a]));
    // Sub-agents are shared definitions; the file's cycle check guarantees this ends.
    const build = (name: string): AgentDef => {
      const built = this.agents.get(name);
      if (built) return built;
      const def = this.#agent(specs.get(name)!, build);
      this.agents.set(name, def);
      return def;
    };
    for (const a of spec.agents) build(a.name);
    this.entries = spec.entry.map((name) => this.agents.get(name)!);
  }

  get version(): string {
    return this.spec.version;
  }

  /** An agent users may start: the named entry agent, or the default one. */
  entry(name?: string): AgentDef | undefined {
    return name === undefined ? this.entries[0] : this.entries.find((a) => a.name === name);
  }

  /** The provider an agent calls. */
  providerOf(agent: AgentDef): Provider {
    return this.providers.get(agent.llm.provider)!;
  }

  /** The providers some agent of the team calls. */
  usedProviders(): Provider[] {
    const names = new Set([...this.agents.values()].map((a) => a.llm.provider));
    return this.providers.list().filter((p) => names.has(p.name));
  }

  /** The default entry agent's model, as page headers show it. */
  defaultModel(): { model: string; provider: string; demo: boolean } {
    const agent = this.entries[0];
    const provider = this.providerOf(agent);
    return { model: agent.model, provider: provider.name, demo: provider.demo };
  }

  /** The MCP connections of this team, by server name. */
  connections(): ReadonlyMap<string, McpConnection> {
    return this.#connections;
  }

  /** Resolves once every MCP server of the team has made its first connection attempt. */
  async ready(): Promise<void> {
    await Promise.all([...this.#connections.values()].map((c) => c.ready()));
  }

  retain(): this {
    this.#holders++;
    return this;
  }

  release(): void {
    if (--this.#holders > 0) return;
    for (const conn of this.#connections.values()) this.mcp.release(conn);
  }

  #agent(a: AgentSpec, build: (name: string) => AgentDef): AgentDef {
    const provider = this.providers.get(a.model.provider)!;
    return {
      name: a.name,
      title: a.title,
      description: a.description,
      instructions: a.instructions,
      tools: a.tools.map((name) => withProgress(BUILTIN_TOOLS[name], a.progress)),
      toolSources: a.mcp.map(({ server, tools }) =>
        progressOf(mcpToolSource(this.#connections.get(server)!, tools), a.progress)
      ),
      subAgents: a.subAgents.map(build),
      maxSteps: a.maxSteps,
      llm: provider.llm,
      model: a.model.model,
      ...(a.temperature !== undefined && { temperature: a.temperature }),
      ...(a.remote && { remote: a.remote }),
    };
  }
}

/** The team file's progress message for this tool, if it has one; `{arg}` is filled in. */
function withProgress(tool: ToolDef, messages: Record<string, string>): ToolDef {
  if (!Object.hasOwn(messages, tool.name)) return tool;
  const template = messages[tool.name];
  return { ...tool, progressMessage: (args) => fill(template, args) };
}

function progressOf(source: ToolSource, messages: Record<string, string>): ToolSource {
  if (Object.keys(messages).length === 0) return source;
  let listed: ToolDef[] | null = null;
  let wrapped: ToolDef[] = [];
  return {
    ...source,
    tools() {
      const now = source.tools();
      if (now !== listed) wrapped = (listed = now).map((t) => withProgress(t, messages));
      return wrapped;
    },
  };
}

function fill(template: string, args: Record<string, unknown>): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (match, name: string) => {
    const v = Object.hasOwn(args, name) ? args[name] : undefined;
    const ok = typeof v === "string" || typeof v === "number" || typeof v === "boolean";
    return ok ? truncate(String(v).replace(/\s+/g, " "), 40) : match;
  });
}
