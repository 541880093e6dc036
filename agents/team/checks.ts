/**
 * The team file's rules that span more than one value: names that refer to providers, MCP
 * servers and agents, sub-agent cycles, the entry list, each MCP server's transport keys,
 * progress messages for tools the agent has, and `${NAME}` references (set, well formed, giving
 * a URL where one is due). They run on the RAW parsed value and skip whatever is mistyped, not as
 * zod refinements: zod 3 skips an object's refinements once a child has a type error, so these
 * problems would only appear after the first batch was fixed.
 */
import { substitute } from "./env_refs.ts";
export interface Issue {
  path: (string | number)[];
  message: string;
  /** The problem is this key of the map at `path` (reported at the key, not its value). */
  key?: string;
}

export interface CheckContext {
  /** Looks up `${NAME}` references. */
  env: (name: string) => string | undefined;
  /** Providers that exist without being declared (the demo model, the environment's). */
  implicitProviders: ReadonlySet<string>;
  /** Names a file may not declare, with why. */
  reservedProviders: ReadonlyMap<string, string>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const entries = (v: unknown): [string, unknown][] => isObj(v) ? Object.entries(v) : [];
const list = (v: unknown): unknown[] => Array.isArray(v) ? v : [];
const field = (v: unknown, key: string): unknown => isObj(v) ? v[key] : undefined;
const str = (v: unknown) => typeof v === "string" ? v : undefined;

export function crossReferenceIssues(raw: unknown, ctx: CheckContext): Issue[] {
  const issues: Issue[] = [];
  const add = (path: Issue["path"], message: string, key?: string) =>
    issues.push({ path, message, key });
  const providers = new Set(ctx.implicitProviders);
  const refs = (v: unknown, path: Issue["path"], url = false) => {
    if (typeof v !== "string") return;
    const r = substitute(v, ctx.env);
    for (const message of r.problems) add(path, message);
    if (url && r.problems.length === 0 && !/^https?:$/.test(URL.parse(r.value)?.protocol ?? "")) {
      add(path, "must be an http:// or https:// URL");
    }
  };
  for (const [name, provider] of entries(field(raw, "providers"))) {
    const reserved = ctx.reservedProviders.get(name);
    if (reserved) add(["providers", name], `the name "${name}" is reserved: ${reserved}`);
    providers.add(name);
    refs(field(provider, "base_url"), ["providers", name, "base_url"], true);
    refs(field(provider, "api_key"), ["providers", name, "api_key"]);
  }
  const servers = new Set<string>();
  for (const [name, server] of entries(field(raw, "mcp_servers"))) {
    const at = ["mcp_servers", name];
    servers.add(name);
    transportIssues(server, at, add);
    for (const key of ["command", "cwd"]) refs(field(server, key), [...at, key]);
    refs(field(server, "url"), [...at, "url"], true);
    list(field(server, "args")).forEach((arg, i) => refs(arg, [...at, "args", i]));
    for (const key of ["env", "headers"]) {
      for (const [k, v] of entries(field(server, key))) refs(v, [...at, key, k]);
    }
  }
  const agents = new Map(entries(field(raw, "agents")));

  for (const [name, agent] of agents) {
    const at = ["agents", name];
    if (field(agent, "kind") === "agui") {
      refs(field(agent, "url"), [...at, "url"], true);
      for (const [k, v] of entries(field(agent, "headers"))) refs(v, [...at, "headers", k]);
    }
    const model = str(field(agent, "model"));
    const provider = model?.includes("/") ? model.slice(0, model.indexOf("/")) : undefined;
    if (provider !== undefined && !providers.has(provider)) {
      const reserved = ctx.reservedProviders.get(provider);
      add([...at, "model"], `unknown provider "${provider}"${reserved ? ` (${reserved})` : ""}`);
    }
    list(field(agent, "mcp")).forEach((use, i) => {
      const server = str(use) ?? str(field(use, "server"));
      if (server !== undefined && !servers.has(server)) {
        add([...at, "mcp", i], `unknown MCP server "${server}"`);
      }
    });
    list(field(agent, "sub_agents")).forEach((sub, i) => {
      if (typeof sub === "string" && !agents.has(sub)) {
        add([...at, "sub_agents", i], `unknown agent "${sub}"`);
      } else if (typeof sub === "string" && field(agents.get(sub), "kind") === "agui") {
        add(
          [...at, "sub_agents", i],
          `"${sub}" is a remote (agui) agent: it cannot be a sub-agent`,
        );
      }
    });
    // Without MCP servers the agent's tools are all known here: a message for another name is
    // a typo. (MCP tools are only known once the server answers.)
    if (list(field(agent, "mcp")).length === 0) {
      const tools = new Set(list(field(agent, "tools")).map(str));
      for (const [tool] of entries(field(agent, "progress"))) {
        if (!tools.has(tool)) {
          const names = [...tools].filter(Boolean).join(", ") || "none";
          add([...at, "progress"], `the agent has no tool "${tool}" (its tools: ${names})`, tool);
        }
      }
    }
  }
  cycleIssues(agents, add);
  const entry = list(field(raw, "entry"));
  const seen = new Set<string>();
  entry.forEach((name, i) => {
    if (typeof name !== "string") return;
    if (!agents.has(name)) add(["entry", i], `unknown agent "${name}"`);
    else if (seen.has(name)) add(["entry", i], `"${name}" is listed twice`);
    seen.add(name);
  });
  return issues;
}

/** A server is started (command) or reached (url), and takes only that transport's keys. */
function transportIssues(
  server: unknown,
  at: Issue["path"],
  add: (path: Issue["path"], message: string) => void,
) {
  if (!isObj(server)) return;
  const stdio = server.command !== undefined;
  const http = server.url !== undefined;
  if (stdio === http) {
    add(at, "give either command (a process over stdio) or url (Streamable HTTP), not both");
    return;
  }
  for (const key of stdio ? ["headers"] : ["args", "env", "cwd"]) {
    if (server[key] !== undefined) {
      add([...at, key], `${key} is only for ${stdio ? "url" : "command"} servers`);
    }
  }
}

/** Each cycle is reported at the sub_agents entry that closes it. */
function cycleIssues(
  agents: Map<string, unknown>,
  add: (path: Issue["path"], message: string) => void,
) {
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, trail: string[]) => {
    state.set(name, "visiting");
    list(field(agents.get(name), "sub_agents")).forEach((sub, i) => {
      if (typeof sub !== "string" || !agents.has(sub)) return;
      if (state.get(sub) === "visiting") {
        const path = [...trail, name];
        const cycle = [...path.slice(path.indexOf(sub)), sub];
        add(["agents", name, "sub_agents", i], `sub-agent cycle: ${cycle.join(" -> ")}`);
      } else if (!state.has(sub)) visit(sub, [...trail, name]);
    });
    state.set(name, "done");
  };
  for (const name of agents.keys()) if (!state.has(name)) visit(name, []);
}
