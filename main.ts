/**
 * Starts the Glassbox server (everything else is built in app.ts), or runs a command:
 * `glassbox admin …` (cli/admin.ts), `--help`, `--version`.
 */
import { createGlassbox, VERSION } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { HELP } from "./config/help.ts";
import { isLoopbackHost } from "./config/server.ts";

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(HELP);
  Deno.exit(0);
}
if (Deno.args.includes("--version")) {
  console.log(`glassbox ${VERSION}`);
  Deno.exit(0);
}
if (Deno.args[0] === "admin") {
  const { adminCommand } = await import("./cli/admin.ts");
  Deno.exit(await adminCommand(Deno.args.slice(1)));
}

/** A bad configuration is the operator's to fix: say what, exit 2. */
function refuse(err: unknown): never {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`glassbox: ${err.message}\nSee glassbox --help.`);
  Deno.exit(2);
}

let config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (err) {
  refuse(err);
}

// A query in flight when Postgres restarts can reject again later with nobody awaiting it
// (postgres.js, see STACK_NOTES): log it instead of letting it take the server down.
globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  console.error("glassbox: unhandled rejection:", e.reason);
});

// A bad team file is refused like a bad environment: every problem at its file:line:col.
const glassbox = await createGlassbox(config).catch(refuse);
const model = glassbox.deps.teams.current().defaultModel();
const access = {
  local: "no sign-in (one local user, this machine only)",
  on: "sign-in required",
  off: "SIGN-IN OFF: open to anyone who reaches the port",
}[config.auth.mode];
const server = Deno.serve({
  port: config.port,
  hostname: config.host,
  onListen: ({ port }) =>
    console.error(
      `Glassbox ${VERSION} on http://${isLoopbackHost(config.host) ? "localhost" : config.host}:` +
        `${port} — team ${glassbox.deps.teams.status().source}, model ${model.provider}/` +
        `${model.model}${model.demo ? " (offline demo)" : ""}, ${glassbox.deps.db.describe}; ` +
        access,
    ),
}, glassbox.app.fetch);

let stopping = false;
/**
 * One deadline for the whole shutdown (GLASSBOX_SHUTDOWN_TIMEOUT_MS): stop accepting connections,
 * then app.ts refuses new runs, interrupts and drains the active ones, ends the streams and closes
 * the database. Exit 1 when accepted events could not be stored; a second signal exits at once.
 */
async function stop(signal: string) {
  if (stopping) {
    console.error(`Glassbox: second ${signal}, exiting now without waiting for storage`);
    Deno.exit(1);
  }
  stopping = true;
  console.error(`Glassbox: ${signal}, interrupting runs and storing their events…`);
  const serving = server.shutdown();
  const { unstored } = await glassbox.close();
  if (unstored > 0) {
    console.error(`Glassbox: exiting with ${unstored} accepted events and LLM calls not stored`);
    Deno.exit(1);
  }
  // Streams have ended; a request still waiting on a run that could not finish is not waited for.
  await Promise.race([serving, new Promise((r) => setTimeout(r, 1000))]);
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
