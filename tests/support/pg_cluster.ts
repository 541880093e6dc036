/**
 * A Postgres cluster of the test's own (initdb in a temporary directory, on a free loopback port),
 * for faults the shared server must never see: `restart()` is `pg_ctl restart -m fast`. As root
 * the server runs as the postgres user (`runuser`), in a directory that user owns. Under CI=true
 * missing binaries are an error; elsewhere `pgClusterAvailable()` says to skip.
 */
import { IN_CI } from "./db.ts";

const BIN = Deno.env.get("GLASSBOX_TEST_PG_BIN") ?? "/usr/lib/postgresql/15/bin";

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** pg_ctl restart -m fast; resolves once it accepts connections again. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function pgClusterAvailable(): Promise<boolean> {
  const ok = await Deno.stat(`${BIN}/pg_ctl`).then(() => true, () => false);
  if (!ok && IN_CI) throw new Error(`CI=true but the Postgres binaries are not in ${BIN}`);
  return ok;
}

const asRoot = Deno.uid() === 0;

async function run(cmd: string, args: string[]): Promise<string> {
  const [command, all] = asRoot
    ? ["runuser", ["-u", "postgres", "--", `${BIN}/${cmd}`, ...args]]
    : [`${BIN}/${cmd}`, args];
  const out = await new Deno.Command(command, { args: all, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed: ${text}`);
  return text;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export async function startPgCluster(): Promise<PgCluster> {
  const dir = await Deno.makeTempDir({ prefix: "glassbox-pgcluster-" });
  if (asRoot) {
    const id = await new Deno.Command("id", { args: ["-u", "postgres"], stdout: "piped" }).output();
    const uid = Number(new TextDecoder().decode(id.stdout).trim());
    await Deno.chown(dir, uid, null);
  }
  const data = `${dir}/data`;
  const port = freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ` +
    `-c synchronous_commit=off -c full_page_writes=off`;
  const ctl = (action: string, extra: string[] = []) =>
    run("pg_ctl", [action, "-D", data, "-l", `${dir}/log`, "-w", "-t", "30", ...extra]);
  try {
    await run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    await ctl("start", ["-o", opts]);
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: async () => void await ctl("restart", ["-m", "fast", "-o", opts]),
    close: async () => {
      await ctl("stop", ["-m", "immediate"]).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
