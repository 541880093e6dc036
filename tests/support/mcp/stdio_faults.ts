/**
 * The fault server over stdio. Flags: --exit-at-start (prints a reason on stderr, exits 1),
 * --silent (never answers, not even initialize), --stubborn (ignores stdin EOF and SIGTERM: only
 * SIGKILL ends it). Prints `ready pid=… greeting=… parentSecretVisible=…` on stderr when up.
 */
import { StdioServerTransport } from "./sdk_server.ts";
import { buildFaultServer, recordCancellations } from "./fault_tools.ts";

const flag = (name: string) => Deno.args.includes(`--${name}`);
if (flag("exit-at-start")) {
  console.error("faults: missing FAULTS_DB_URL, giving up");
  Deno.exit(1);
}
if (flag("stubborn")) {
  Deno.addSignalListener("SIGTERM", () => console.error("faults: ignoring SIGTERM"));
  setInterval(() => {}, 60_000);
}
if (flag("silent")) {
  console.error(`ready pid=${Deno.pid} (silent)`);
  for await (const _ of Deno.stdin.readable) { /* swallow every request */ }
} else {
  const transport = new StdioServerTransport();
  await buildFaultServer().connect(transport);
  recordCancellations(transport); // after connect: connect() installs the SDK's onmessage
  console.error(
    `ready pid=${Deno.pid} greeting=${Deno.env.get("FAULTS_GREETING")} ` +
      `parentSecretVisible=${Deno.env.has("GLASSBOX_TEST_PARENT_SECRET")}`,
  );
}
