/** Starts the Glassbox server. Everything else is built in app.ts. */
import { createGlassbox, type Glassbox, VERSION } from "./app.ts";
import { ConfigError, HELP, loadConfig } from "./config.ts";

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(HELP);
  Deno.exit(0);
}
if (Deno.args.includes("--version")) {
  console.log(`glassbox ${VERSION}`);
  Deno.exit(0);
}

let config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`glassbox: ${err.message}\nSee glassbox --help.`);
  Deno.exit(2);
}

// A query in flight when Postgres restarts can reject again later with nobody awaiting it
// (postgres.js, see STACK_NOTES): log it instead of letting it take the server down.
globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  console.error("glassbox: unhandled rejection:", e.reason);
});

let glassbox: Glassbox;
try {
  glassbox = await createGlassbox(config);
} catch (err) {
  // A team file that does not validate: every problem at its file:line:col.
  if (!(err instanceof ConfigError)) throw err;
  console.error(`glassbox: ${err.message}`);
  Deno.exit(2);
}
const model = glassbox.deps.teams.current().defaultModel();
const server = Deno.serve({
  port: config.port,
  hostname: Deno.env.get("HOST") ?? "0.0.0.0",
  onListen: ({ port }) =>
    console.error(
      `Glassbox ${VERSION} on http://localhost:${port} — team ${glassbox.deps.teams.status().source}` +
        `, model ${model.provider}/${model.model}${model.demo ? " (offline demo)" : ""}` +
        `, ${glassbox.deps.db.describe}`,
    ),
}, glassbox.app.fetch);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.error(`Glassbox: ${signal}, interrupting runs and storing their events…`);
  await glassbox.close();
  await server.shutdown();
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
