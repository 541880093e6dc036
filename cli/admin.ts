/**
 * `glassbox admin create --email <address> [--name <name>] [--member] [--password-stdin |
 * --no-password]`: adds a user (an admin unless --member) to the configured database, from the
 * command line. The password is read from stdin (--password-stdin), or asked twice without echo
 * on a terminal; --no-password makes a user who signs in by single sign-on only.
 *
 * With an external Postgres (DATABASE_URL) it works while the server runs. The embedded
 * database allows one process: when a server has it open, this refuses ("stop the server
 * first"); for Docker with the embedded database, GLASSBOX_ADMIN_EMAIL/PASSWORD at start are the
 * way in.
 */
import { parseArgs } from "node:util";
import { createAuth } from "../auth/auth.ts";
import { AccountError } from "../auth/errors.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { openDatabase } from "../db/client.ts";

const USAGE = "usage: glassbox admin create --email <address> [--name <name>] [--member] " +
  "[--password-stdin | --no-password]";

/** Runs the command; resolves with the process exit code. */
export async function adminCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        email: { type: "string" },
        name: { type: "string" },
        member: { type: "boolean" },
        "password-stdin": { type: "boolean" },
        "no-password": { type: "boolean" },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values: o, positionals } = parsed;
  if (positionals.join(" ") !== "create" || !o.email) return usage();
  if (o["password-stdin"] && o["no-password"]) return usage("choose one way to give a password");
  const ask = !o["password-stdin"] && !o["no-password"];
  if (ask && !Deno.stdin.isTerminal()) {
    return usage("no terminal to ask for the password on: use --password-stdin");
  }

  let config;
  try {
    config = loadConfig(Deno.env.toObject(), { serving: false });
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message, 2);
    throw err;
  }
  if (!config.databaseUrl && (await embeddedInUse(config.dataDir))) {
    return fail(
      `the embedded database in ${config.dataDir} is open in a running Glassbox: stop the ` +
        "server first (or use GLASSBOX_ADMIN_EMAIL/GLASSBOX_ADMIN_PASSWORD at its next start)",
    );
  }
  let password: string | null = null;
  if (!o["no-password"]) {
    password = o["password-stdin"] ? await readStdin() : await askTwice();
    if (password === null) return fail("the passwords did not match");
  }

  const db = await openDatabase(config);
  const auth = createAuth(db.sql, config.auth, {
    hasActiveRuns: () => false,
    onPurgeError: () => {},
  });
  try {
    const user = await auth.users.create(
      { userId: null, email: "(command line)", ip: "" },
      { email: o.email, name: o.name, role: o.member ? "member" : "admin", password },
    );
    console.log(`glassbox: created ${user.role} ${user.email}`);
    if (config.auth.mode !== "on") {
      console.log("glassbox: sign-in is not on: start with GLASSBOX_AUTH=on to require it");
    }
    return 0;
  } catch (err) {
    if (err instanceof AccountError) return fail(err.message);
    throw err;
  } finally {
    auth.close();
    await db.close();
  }
}

function usage(problem?: string): number {
  console.error(`glassbox: ${problem ? `${problem}\n` : ""}${USAGE}`);
  return 2;
}

function fail(message: string, code = 1): number {
  console.error(`glassbox: ${message}`);
  return code;
}

/** Whether a running server has the embedded database open (its socket answers). */
async function embeddedInUse(dataDir: string): Promise<boolean> {
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(dataDir)];
  } catch {
    return false;
  }
  for (const e of entries) {
    if (!e.name.startsWith(".s.PGSQL.")) continue;
    try {
      (await Deno.connect({ transport: "unix", path: `${dataDir}/${e.name}` })).close();
      return true;
    } catch {
      // A socket file left by a process that is gone.
    }
  }
  return false;
}

async function readStdin(): Promise<string> {
  return (await new Response(Deno.stdin.readable).text()).replace(/\r?\n$/, "");
}

/** Asks twice without echo on the terminal; null when the answers differ. */
async function askTwice(): Promise<string | null> {
  const first = await askHidden("Password: ");
  const second = await askHidden("Again: ");
  return first === second ? first : null;
}

async function askHidden(prompt: string): Promise<string> {
  const out = new TextEncoder();
  await Deno.stdout.write(out.encode(prompt));
  Deno.stdin.setRaw(true);
  const chars: string[] = [];
  const buf = new Uint8Array(64);
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      const text = decoder.decode(buf.subarray(0, n), { stream: true });
      for (const ch of text) {
        if (ch === "\r" || ch === "\n") return chars.join("");
        if (ch === "\u0003") {
          Deno.stdin.setRaw(false);
          Deno.exit(130); // Ctrl-C
        }
        if (ch === "\u007f" || ch === "\b") chars.pop();
        else chars.push(ch);
      }
    }
    return chars.join("");
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stdout.write(out.encode("\n"));
  }
}
