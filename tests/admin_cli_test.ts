/**
 * `glassbox admin create` as a real process (main.ts): an admin from the command line (password
 * on stdin) who then signs in to a server with sign-in on; a taken email, bad usage, and an
 * embedded database held by a running server are refused with the reason.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";
import { startGlassbox } from "./support/server.ts";
import { Browser } from "./support/users.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const ignore = await skipWithoutPostgres();

async function admin(args: string[], env: Record<string, string>, stdin = "") {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", `${ROOT}main.ts`, "admin", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test(
  { name: "admin CLI: creates an admin who can sign in; refuses what it must", ignore },
  async () => {
    const db = await freshPostgres();
    const password = "a long enough passphrase";
    try {
      const env = { DATABASE_URL: db.url, HOST: "0.0.0.0" }; // no sign-in configured: still fine
      const made = await admin(
        ["create", "--email", "Boss@Example.com", "--password-stdin"],
        env,
        `${password}\n`,
      );
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, /created admin boss@example\.com/);
      assert.ok(!made.stdout.includes(password) && !made.stderr.includes(password));

      const again = await admin(
        ["create", "--email", "boss@example.com", "--password-stdin"],
        env,
        password,
      );
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already a user with the email boss@example\.com/);
      const short = await admin(
        ["create", "--email", "x@example.com", "--password-stdin"],
        env,
        "short",
      );
      assert.equal(short.code, 1);
      assert.match(short.stderr, /at least 12 characters/);
      const usage = await admin(["make", "--email", "x@example.com"], env);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /usage: glassbox admin create/);

      const gb = await startGlassbox({ DATABASE_URL: db.url, GLASSBOX_AUTH: "on" });
      try {
        const b = new Browser(gb.url);
        assert.equal((await b.signIn("boss@example.com", password)).status, 303);
        assert.equal((await b.fetch("/admin/users")).status, 200, "an admin");
        const [entry] = await db.sql`SELECT actor_email, action, target FROM audit_log`;
        assert.deepEqual({ ...entry }, {
          actor_email: "(command line)",
          action: "user_created",
          target: "boss@example.com",
        });
      } finally {
        await gb.close();
      }
    } finally {
      await db.close();
    }
  },
);

Deno.test("admin CLI: an embedded database open in a running server is left alone", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "glassbox-cli-" });
  // What a running server holds: the socket of its embedded database, accepting connections.
  const socket = Deno.listen({ transport: "unix", path: join(dataDir, ".s.PGSQL.4242") });
  try {
    const r = await admin(["create", "--email", "a@example.com", "--no-password"], {
      GLASSBOX_DATA: dataDir,
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is open in a running Glassbox: stop the server first/);
    assert.equal(
      [...Deno.readDirSync(dataDir)].map((e) => e.name).join(),
      ".s.PGSQL.4242",
      "no database was created",
    );
  } finally {
    socket.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
