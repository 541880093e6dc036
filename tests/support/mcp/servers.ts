/**
 * MCP servers for tests as real processes: the fault server over stdio (as a team file's
 * `command`) or over HTTP (a process this helper starts), the paged server, the published
 * filesystem server; and the check that no server process is left behind.
 */
import { Secret } from "../../../agents/logging/secret.ts";
import type { McpServerSpec } from "../../../agents/mcp/config.ts";

export const PROJECT_ROOT = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");
const here = (file: string) => new URL(file, import.meta.url).pathname;

/** `deno run` of one of the scripts here (with these permissions), as a command and args. */
export function denoScript(script: string, flags: string[] = [], allow = ["env", "read", "write"]) {
  return [Deno.execPath(), "run", ...allow.map((a) => `--allow-${a}`), here(script), ...flags];
}

/**
 * The published filesystem server on `dir`, started the way a user with Deno would, from the
 * project (deno.json pins it, so it is in deno.lock and node_modules: no network needed).
 */
export function filesystemServer(dir: string): { command: string; args: string[]; cwd: string } {
  return {
    command: Deno.execPath(),
    args: [
      "run",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      "--allow-env",
      "npm:@modelcontextprotocol/server-filesystem@2026.8.31",
      dir,
    ],
    cwd: PROJECT_ROOT,
  };
}

/** A spec as the team file would give it. */
export function stdioSpec(
  name: string,
  argv: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; identity?: boolean } = {},
): McpServerSpec {
  const [command, ...args] = argv;
  return {
    name,
    transport: {
      kind: "stdio",
      command,
      args,
      env: Object.fromEntries(
        Object.entries(opts.env ?? {}).map(([k, v]) => [k, new Secret(v, `$${k}`)]),
      ),
      cwd: null,
    },
    timeoutMs: opts.timeoutMs ?? 10_000,
    identity: opts.identity ?? false,
    display: argv.join(" "),
    key: crypto.randomUUID(),
  };
}

export function httpSpec(
  name: string,
  url: string,
  opts: { headers?: Record<string, string>; timeoutMs?: number; identity?: boolean } = {},
): McpServerSpec {
  return {
    name,
    transport: {
      kind: "http",
      url,
      headers: Object.fromEntries(
        Object.entries(opts.headers ?? {}).map(([k, v]) => [k, new Secret(v, `$${k}`)]),
      ),
    },
    timeoutMs: opts.timeoutMs ?? 10_000,
    identity: opts.identity ?? false,
    display: url,
    key: crypto.randomUUID(),
  };
}

export interface HttpFaults {
  url: string;
  /** Closes its stdin: the server exits. */
  stop(): Promise<void>;
  /** SIGKILL: the server dies mid-whatever. */
  kill(): Promise<void>;
}

/** Starts http_faults.ts on a free port. */
export async function startHttpFaults(env: Record<string, string> = {}): Promise<HttpFaults> {
  const [command, ...args] = denoScript("http_faults.ts", [], ["net=127.0.0.1", "env", "read"]);
  const io = { stdin: "piped", stdout: "piped", stderr: "null" } as const;
  const child = new Deno.Command(command, { args, env, ...io }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the HTTP fault server exited before listening: ${seen}`);
    seen += value;
    const url = seen.match(/LISTENING (\S+)/)?.[1];
    if (!url) continue;
    reader.releaseLock();
    // Keep draining stdout so the child never blocks on a full pipe.
    child.stdout.pipeTo(new WritableStream()).catch(() => {});
    return {
      url,
      stop: async () => {
        await child.stdin.close().catch(() => {});
        await child.status;
      },
      kill: async () => {
        child.kill("SIGKILL");
        await child.status;
        await child.stdin.close().catch(() => {});
      },
    };
  }
}

/**
 * Live processes whose parent is `parent` (default: this test process), as "pid: command line";
 * zombies are dead and not counted.
 */
export async function childProcesses(parent = Deno.pid): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(ppid) === parent && state !== "Z") {
      const cmd = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
      found.push(`${entry.name}: ${cmd.replaceAll("\0", " ").trim()}`);
    }
  }
  return found;
}
