/**
 * Reading a team file: YAML (JSON is YAML too) → schema (schema.ts) and cross-references
 * (checks.ts) → `${NAME}` references resolved (env_refs.ts) → a TeamSpec of plain data. Every
 * problem of the file comes at once in one TeamFileError, each at `file:line:col`. API keys and
 * MCP env values and headers become Secrets, which never print.
 */
import { createHash } from "node:crypto";
import { LineCounter, parseDocument } from "yaml";
import { Secret } from "../logging/secret.ts";
import type { ModelRef, ProviderSpec } from "../llm/providers.ts";
import type { McpServerSpec } from "../mcp/config.ts";
import type { BuiltinToolName } from "./builtin_tools.ts";
import { type CheckContext, crossReferenceIssues } from "./checks.ts";
import { substitute } from "./env_refs.ts";
import { Placer, TeamFileError } from "./positions.ts";
import { type AgentData, type McpServerData, TeamFile, type TeamFileData } from "./schema.ts";

export { TeamFileError };

export interface AgentSpec {
  kind: "llm";
  name: string;
  title: string;
  description: string;
  instructions: string;
  model: ModelRef;
  temperature?: number;
  maxSteps: number;
  tools: BuiltinToolName[];
  /** MCP servers whose tools it gets: all of them (null), or the named ones. */
  mcp: { server: string; tools: string[] | null }[];
  subAgents: string[];
  /** Progress message per tool name. */
  progress: Record<string, string>;
}

export interface TeamSpec {
  /** The file as given, or "built-in". */
  source: string;
  /** Names this version of the team: the start of the SHA-256 of the file's text. */
  version: string;
  providers: ProviderSpec[];
  mcpServers: McpServerSpec[];
  agents: AgentSpec[];
  /** The agents users may pick, the default first. */
  entry: string[];
}

export interface LoadContext extends CheckContext {
  /** For agents that name no model. */
  defaultModel: ModelRef;
}

/** Parses and validates; throws TeamFileError with every problem. */
export function parseTeamFile(text: string, file: string, ctx: LoadContext): TeamSpec {
  const lines = new LineCounter();
  // prettyErrors off: the pretty form quotes the offending source line, which may hold a key.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new TeamFileError(
      file,
      doc.errors.map((e) => ({ ...lines.linePos(e.pos[0]), path: "", message: e.message })),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }); // refuses alias bombs
  } catch (err) {
    throw new TeamFileError(file, [{ line: 1, col: 1, path: "", message: String(err) }]);
  }
  const placer = new Placer(doc, lines);
  const parsed = TeamFile.safeParse(raw);
  const problems = [
    ...(parsed.success ? [] : placer.zodProblems(parsed.error)),
    ...crossReferenceIssues(raw, ctx).map((i) => placer.at(i.path, i.message, i.key)),
  ];
  if (!parsed.success || problems.length > 0) throw new TeamFileError(file, problems);
  const team = resolve(parsed.data, new Resolver(ctx.env), ctx.defaultModel);
  return { source: file, version: teamVersion(text), ...team };
}

export function teamVersion(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/** Resolves references (checks.ts has made sure they resolve). */
class Resolver {
  constructor(private readonly env: (name: string) => string | undefined) {}

  text(value: string): string {
    return substitute(value, this.env).value;
  }

  secret(value: string): Secret {
    const { names } = substitute(value, () => "");
    const source = names.length ? names.map((n) => `$${n}`).join(",") : "team file";
    return new Secret(this.text(value), source);
  }

  secrets(record: Record<string, string> | undefined): Record<string, Secret> {
    return Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k, this.secret(v)]));
  }
}

function resolve(data: TeamFileData, r: Resolver, defaultModel: ModelRef) {
  const providers = Object.entries(data.providers).map(([name, p]): ProviderSpec => ({
    name,
    baseUrl: r.text(p.base_url),
    apiKey: p.api_key === undefined ? null : r.secret(p.api_key),
    prices: Object.fromEntries(
      Object.entries(p.prices).map(([model, price]) => [model, {
        input: price.input,
        output: price.output,
        ...(price.cached_input !== undefined && { cachedInput: price.cached_input }),
        ...(price.cache_write !== undefined && { cacheWrite: price.cache_write }),
        ...(price.reasoning !== undefined && { reasoning: price.reasoning }),
      }]),
    ),
    cacheAccounting: p.cached_tokens,
    demo: false,
  }));
  const mcpServers = Object.entries(data.mcp_servers).map(([name, s]) => mcpServer(name, s, r));
  const agents = Object.entries(data.agents).map(([name, a]) => agent(name, a, defaultModel));
  return { providers, mcpServers, agents, entry: data.entry ?? [agents[0].name] };
}

function mcpServer(name: string, s: McpServerData, r: Resolver): McpServerSpec {
  const transport: McpServerSpec["transport"] = s.command !== undefined
    ? {
      kind: "stdio",
      command: r.text(s.command),
      args: (s.args ?? []).map((arg) => r.text(arg)),
      env: r.secrets(s.env),
      cwd: s.cwd === undefined ? null : r.text(s.cwd),
    }
    : { kind: "http", url: r.text(s.url!), headers: r.secrets(s.headers) };
  const resolved = { name, transport, timeoutMs: s.timeout_ms, identity: s.identity };
  return {
    ...resolved,
    display: s.command !== undefined ? [s.command, ...(s.args ?? [])].join(" ") : s.url!,
    // The hash covers the revealed values (a changed token is a new connection); only the hash
    // is kept.
    key: createHash("sha256")
      .update(JSON.stringify(resolved, (_k, v) => v instanceof Secret ? v.reveal() : v))
      .digest("hex"),
  };
}

function agent(name: string, a: AgentData, defaultModel: ModelRef): AgentSpec {
  const slash = a.model?.indexOf("/") ?? -1;
  return {
    kind: a.kind,
    name,
    title: a.title ?? name,
    description: a.description,
    instructions: a.instructions,
    model: a.model === undefined
      ? defaultModel
      : { provider: a.model.slice(0, slash), model: a.model.slice(slash + 1) },
    ...(a.temperature !== undefined && { temperature: a.temperature }),
    maxSteps: a.max_steps,
    tools: a.tools,
    mcp: a.mcp.map((use) =>
      typeof use === "string"
        ? { server: use, tools: null }
        : { server: use.server, tools: use.tools }
    ),
    subAgents: a.sub_agents,
    progress: a.progress,
  };
}
