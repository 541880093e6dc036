/**
 * The layering rules of Glassbox and a checker that applies them to the real import graph, as
 * `deno info --json` reports it. deno tells type-only imports apart: a dependency imported only
 * by `import type` / `export type` statements appears under `type`, one with any runtime import
 * (`import { x }`, `import { type X }`, a side effect, a dynamic import) under `code`.
 *
 * The rules bind the program's modules; tests (`*_test.ts`, tests/, bench/) may import anything.
 */
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** One import: repo-relative paths for our files, the resolved specifier for packages. */
export interface Edge {
  from: string;
  to: string;
  /** Only `import type` / `export type` statements import it: nothing of it runs. */
  typeOnly: boolean;
}

interface Rule {
  name: string;
  /** True when the edge breaks the rule. */
  breaks(e: Edge): boolean;
}

const under = (dir: string) => (path: string) => path.startsWith(`${dir}/`);
const ours = (path: string) => !/^[a-z]+:/.test(path);
const isTest = (path: string) =>
  /_test\.tsx?$/.test(path) || under("tests")(path) || under("bench")(path);

const spine = under("agents/spine");
const db = under("db");
const views = under("views");
const routes = under("routes");
const agents = under("agents");
const team = under("agents/team");
const demo = under("agents/demo");
const mcp = under("agents/mcp");
const runs = under("agents/runs");
const auth = under("auth");

export const RULES: Rule[] = [
  {
    name: "agents/spine imports nothing of ours outside agents/spine",
    breaks: (e) => spine(e.from) && ours(e.to) && !spine(e.to),
  },
  {
    name: "db imports only db/ and the types of agents/spine/events.ts",
    breaks: (e) =>
      db(e.from) && ours(e.to) && !db(e.to) &&
      !(e.to === "agents/spine/events.ts" && e.typeOnly),
  },
  {
    name: "views import no routes/ and no values from db/",
    breaks: (e) => views(e.from) && (routes(e.to) || (db(e.to) && !e.typeOnly)),
  },
  {
    name: "only app.ts imports routes/",
    breaks: (e) => routes(e.to) && !routes(e.from) && e.from !== "app.ts",
  },
  {
    name: "agents/team imports nothing from db/",
    breaks: (e) => team(e.from) && db(e.to),
  },
  {
    name: "agents/mcp imports nothing from db/, agents/team or agents/runs",
    breaks: (e) => mcp(e.from) && (db(e.to) || team(e.to) || runs(e.to)),
  },
  {
    // The SDK is typed as `any` without its @ts-types directives (typescript-sdk #2701).
    name: "only agents/mcp/sdk.ts imports @modelcontextprotocol/sdk",
    breaks: (e) =>
      /^npm:\/?@modelcontextprotocol\/sdk@/.test(e.to) && e.from !== "agents/mcp/sdk.ts",
  },
  {
    name: "only app.ts and routes/api/demo.ts import agents/demo",
    breaks: (e) =>
      demo(e.to) && !demo(e.from) && e.from !== "app.ts" && e.from !== "routes/api/demo.ts",
  },
  {
    name: "agents/ import nothing from routes/ or views/",
    breaks: (e) => agents(e.from) && (routes(e.to) || views(e.to)),
  },
  {
    name: "main.ts imports only app.ts, config.ts, config/ and cli/ of ours",
    breaks: (e) =>
      e.from === "main.ts" && ours(e.to) && !["app.ts", "config.ts"].includes(e.to) &&
      !under("config")(e.to) && !under("cli")(e.to),
  },
  {
    name: "auth imports nothing from routes/ or views/",
    breaks: (e) => auth(e.from) && (routes(e.to) || views(e.to)),
  },
  {
    name: "views import only types from auth/",
    breaks: (e) => views(e.from) && auth(e.to) && !e.typeOnly,
  },
  {
    name: "agents/ import nothing from auth/",
    breaks: (e) => agents(e.from) && auth(e.to),
  },
  {
    // hono/html's raw() inserts HTML unescaped: the Markdown renderer's output, nothing else.
    name: "only views/common/markdown.ts imports hono/html",
    breaks: (e) => /^npm:\/?hono@[^/]+\/html$/.test(e.to) && e.from !== "views/common/markdown.ts",
  },
];

/** Every broken rule, one line per edge: "from → to: rule". */
export function violations(edges: Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    if (isTest(e.from)) continue;
    for (const rule of RULES) {
      if (rule.breaks(e)) {
        out.push(`${e.from} → ${e.to}${e.typeOnly ? " (type)" : ""}: ${rule.name}`);
      }
    }
  }
  return out;
}

/** Our modules below `root`: every .ts and .tsx outside node_modules, dist and test-artifacts. */
export async function sourceFiles(root: string, dir = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(join(root, dir))) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory) {
      if (!/^(node_modules|dist|test-artifacts|\..*)$/.test(entry.name)) {
        files.push(...await sourceFiles(root, path));
      }
    } else if (/\.tsx?$/.test(entry.name)) files.push(path);
  }
  return files.sort();
}

/**
 * The import edges of `files` (paths below `root`) and of everything they reach, from one
 * `deno info --json` run over a generated entry module that imports them all.
 */
export async function importGraph(
  root: string,
  files: string[],
  config?: string,
): Promise<Edge[]> {
  const tmp = await Deno.makeTempDir({ prefix: "glassbox-layering-" });
  try {
    const entry = join(tmp, "entry.ts");
    await Deno.writeTextFile(
      entry,
      files.map((f) => `import ${JSON.stringify(pathToFileURL(join(root, f)).href)};\n`).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", ...(config ? ["--config", config] : []), entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr)}`);
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as DenoInfo;
    const rootUrl = pathToFileURL(root).href + "/";
    const name = (specifier: string) =>
      specifier.startsWith(rootUrl) ? relative(root, fileURLToPath(specifier)) : specifier;
    const edges: Edge[] = [];
    for (const m of graph.modules) {
      if (!m.specifier.startsWith(rootUrl)) continue;
      for (const d of m.dependencies ?? []) {
        const target = d.code?.specifier ?? d.type?.specifier;
        if (target) edges.push({ from: name(m.specifier), to: name(target), typeOnly: !d.code });
      }
    }
    return edges;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

interface DenoInfo {
  modules: {
    specifier: string;
    dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
  }[];
}
