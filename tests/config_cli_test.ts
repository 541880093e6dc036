/**
 * Configuration: defaults, every bad value reported at once, the sign-in rules; and main.ts as
 * a command (--help, --version, a bad PORT or an open non-loopback HOST exits 2 with the reason
 * on stderr, the quick start on loopback with nothing configured).
 */
import assert from "node:assert/strict";
import denoConfig from "../deno.json" with { type: "json" };
import { ConfigError, loadConfig } from "../config.ts";
import { DEFAULT_PRICES } from "../config/cost.ts";
import { DEMO_MODEL, usesDemoModel } from "../config/llm.ts";
import { freshPostgres, skipWithoutPostgres } from "./support/db.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("config: defaults without any variable", () => {
  const c = loadConfig({});
  assert.equal(c.port, 8000);
  assert.equal(c.databaseUrl, null, "embedded database");
  assert.equal(c.dataDir, ".glassbox");
  assert.equal(c.openaiBaseUrl, null);
  assert.equal(c.openaiApiKey, null);
  assert.equal(c.model, DEMO_MODEL);
  assert.equal(c.model, "glassbox-demo");
  assert.equal(usesDemoModel(c), true);
  assert.deepEqual(c.contentLogging, { mode: "truncate", chars: 1000 });
  assert.deepEqual(c.prices, DEFAULT_PRICES);
  assert.equal(c.demoChunkDelayMs, 25);
  assert.equal(c.llmIdleTimeoutMs, 30_000);
  assert.equal(c.llmMaxAttempts, 3);
  assert.equal(c.teamFile, null, "the built-in team");
  // Empty strings count as unset (docker-compose style `VAR=`).
  const { lookupEnv: _a, ...defaults } = c;
  const { lookupEnv: _b, ...blank } = loadConfig({
    PORT: "",
    DATABASE_URL: "",
    GLASSBOX_LOG_CONTENT: "",
    GLASSBOX_AGENTS: "",
  });
  assert.deepEqual(blank, defaults);
});

Deno.test("config: explicit values", () => {
  const c = loadConfig({
    PORT: "9001",
    DATABASE_URL: "postgresql://u:p@db:5432/glassbox",
    OPENAI_BASE_URL: "http://localhost:11434/v1",
    GLASSBOX_DATA: "/var/lib/glassbox",
    GLASSBOX_LOG_CONTENT: "full",
    GLASSBOX_PRICES: '{"llama3":{"input":0.1,"output":0.2}}',
  });
  assert.equal(c.port, 9001);
  assert.equal(c.databaseUrl, "postgresql://u:p@db:5432/glassbox");
  assert.equal(c.openaiBaseUrl, "http://localhost:11434/v1");
  assert.equal(c.dataDir, "/var/lib/glassbox");
  assert.equal(usesDemoModel(c), false);
  assert.equal(c.model, "gpt-4o-mini", "a real endpoint defaults to a real model name");
  assert.deepEqual(c.contentLogging, { mode: "full" });
  assert.deepEqual(c.prices.llama3, { input: 0.1, output: 0.2 });
  assert.deepEqual(c.prices["gpt-4o"], DEFAULT_PRICES["gpt-4o"], "defaults kept");
  assert.deepEqual(loadConfig({ GLASSBOX_LOG_CONTENT: "off" }).contentLogging, { mode: "off" });
  assert.deepEqual(loadConfig({ GLASSBOX_LOG_CONTENT: "200" }).contentLogging, {
    mode: "truncate",
    chars: 200,
  });
  assert.equal(loadConfig({ OPENAI_API_KEY: "sk-x" }).model, "gpt-4o-mini");
  assert.equal(loadConfig({ GLASSBOX_MODEL: "mine" }).model, "mine");
});

Deno.test("config: every bad value is reported at once, each clearly", () => {
  let caught: unknown;
  try {
    loadConfig({
      PORT: "abc",
      DATABASE_URL: "mysql://x",
      OPENAI_BASE_URL: "notaurl",
      GLASSBOX_LOG_CONTENT: "some",
      GLASSBOX_PRICES: "{bad",
    });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError);
  const expected = [
    /^PORT="abc" must be an integer from 0 to 65535$/,
    /^DATABASE_URL must start with postgres: or postgresql: \(got mysql:\)$/,
    /^OPENAI_BASE_URL is not a URL$/,
    /^GLASSBOX_LOG_CONTENT="some" must be "full", "off" or a positive character count$/,
    /^GLASSBOX_PRICES must be JSON like .*USD per 1M tokens/,
  ];
  assert.equal(caught.problems.length, expected.length, caught.problems.join("\n"));
  for (const [i, re] of expected.entries()) assert.match(caught.problems[i], re);
  assert.match(caught.message, /^invalid configuration:/);
  for (const p of caught.problems) assert.ok(caught.message.includes(p), p);

  for (
    const env of [
      { PORT: "70000" },
      { PORT: "1.5" },
      { GLASSBOX_LOG_CONTENT: "0" },
      { GLASSBOX_PRICES: '{"m":{"input":"cheap","output":1}}' },
      { GLASSBOX_LLM_MAX_ATTEMPTS: "0" },
      { OPENAI_BASE_URL: "ftp://models.example" },
    ]
  ) assert.throws(() => loadConfig(env), ConfigError, JSON.stringify(env));
});

async function runMain(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("main.ts: --help and --version print and exit 0", async () => {
  const help = await runMain(["--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: glassbox/m);
  for (const v of ["PORT", "DATABASE_URL", "OPENAI_BASE_URL", "GLASSBOX_LOG_CONTENT"]) {
    assert.ok(help.stdout.includes(v), `help mentions ${v}`);
  }
  const short = await runMain(["-h"]);
  assert.equal(short.code, 0);
  assert.equal(short.stdout, help.stdout);

  const version = await runMain(["--version"]);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), `glassbox ${denoConfig.version}`);
});

Deno.test("main.ts: a bad PORT exits 2 with the reason on stderr", async () => {
  const r = await runMain([], { PORT: "abc", GLASSBOX_LOG_CONTENT: "some" });
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /glassbox: invalid configuration/);
  assert.match(r.stderr, /PORT="abc" must be an integer from 0 to 65535/);
  assert.match(r.stderr, /GLASSBOX_LOG_CONTENT="some"/, "every problem, not just the first");
  assert.match(r.stderr, /--help/);
});

Deno.test("config: sign-in settings; a non-loopback HOST needs sign-in configured", () => {
  const local = loadConfig({});
  assert.equal(local.host, "127.0.0.1");
  assert.equal(local.auth.mode, "local", "loopback, nothing configured: the local user");
  const admin = {
    GLASSBOX_ADMIN_EMAIL: "Root@Example.com",
    GLASSBOX_ADMIN_PASSWORD: "x".repeat(12),
  };
  const on = loadConfig({ HOST: "0.0.0.0", ...admin });
  assert.equal(on.auth.mode, "on", "a first admin turns sign-in on");
  assert.equal(on.auth.adminEmail, "root@example.com");
  assert.equal(loadConfig({ HOST: "::", GLASSBOX_AUTH: "off" }).auth.mode, "off");
  assert.equal(loadConfig({ HOST: "localhost" }).auth.mode, "local");
  assert.throws(
    () => loadConfig({ HOST: "0.0.0.0" }),
    /HOST=0\.0\.0\.0 is reachable from other machines/,
  );
  assert.throws(() => loadConfig({ HOST: "bad host!" }), /HOST="bad host!" must be/);
  assert.throws(
    () => loadConfig({ GLASSBOX_ADMIN_EMAIL: "a@b.co", GLASSBOX_ADMIN_PASSWORD: "short" }),
    /at least 12 characters/,
  );
  assert.throws(() => loadConfig({ GLASSBOX_ADMIN_EMAIL: "a@b.co" }), /go together/);
  assert.throws(
    () => loadConfig({ GLASSBOX_OIDC_ISSUER: "https://idp.example" }),
    /needs GLASSBOX_OIDC_CLIENT_ID/,
  );
  assert.throws(
    () =>
      loadConfig({
        GLASSBOX_OIDC_ISSUER: "http://idp.example",
        GLASSBOX_OIDC_CLIENT_ID: "c",
        GLASSBOX_OIDC_CLIENT_SECRET: "s",
      }),
    /must be https/,
  );
  assert.throws(
    () => loadConfig({ GLASSBOX_AUTH: "off", ...admin }),
    /GLASSBOX_AUTH=off runs without sign-in/,
  );
  assert.throws(() => loadConfig({ GLASSBOX_PUBLIC_URL: "https://gb.example/app" }), /no path/);
  assert.equal(
    loadConfig({ GLASSBOX_PUBLIC_URL: "https://gb.example/" }).auth.publicUrl,
    "https://gb.example",
  );
});

Deno.test("main.ts: a non-loopback HOST with no sign-in configured refuses to start (exit 2)", async () => {
  const r = await runMain([], { HOST: "0.0.0.0" });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /HOST=0\.0\.0\.0 is reachable from other machines and no sign-in is configured/,
  );
  for (
    const name of [
      "GLASSBOX_ADMIN_EMAIL",
      "GLASSBOX_ADMIN_PASSWORD",
      "GLASSBOX_OIDC_ISSUER",
      "GLASSBOX_AUTH=off",
    ]
  ) {
    assert.ok(r.stderr.includes(name), `names ${name}`);
  }
});

Deno.test({
  name: "main.ts: the quick start, with nothing configured, serves loopback with no sign-in",
  ignore: await skipWithoutPostgres(),
}, async () => {
  const db = await freshPostgres();
  // Only a database (an embedded one would make this test slow) and a free port.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", `${ROOT}main.ts`],
    cwd: ROOT,
    // Nothing of ours from this environment: only what deno itself needs.
    env: {
      ...Object.fromEntries(
        ["HOME", "PATH", "DENO_DIR"].flatMap((k) => Deno.env.get(k) ? [[k, Deno.env.get(k)!]] : []),
      ),
      NO_COLOR: "1",
      DATABASE_URL: db.url,
      PORT: "0",
    },
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).values();
    let banner = "";
    while (!/on http:\/\/localhost:\d+/.test(banner)) {
      const next = await lines.next();
      if (next.done) throw new Error(`main.ts ended: ${banner}`);
      banner += next.value;
    }
    assert.match(banner, /no sign-in \(one local user, this machine only\)/);
    const url = /(http:\/\/localhost:\d+)/.exec(banner)![1].replace("localhost", "127.0.0.1");
    const page = await fetch(url);
    assert.equal(page.status, 200, "the chat page, no sign-in");
    await page.body?.cancel();
    const chat = await fetch(`${url}/api/v1/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "What is 17 * 23?" }),
    });
    assert.equal(chat.status, 200);
    assert.match((await chat.json()).answer, /391/);
    // Listening on loopback only: no other address of this machine answers.
    await assert.rejects(fetch(url.replace("127.0.0.1", "[::1]")));
  } finally {
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0, "a clean shutdown");
    await db.close();
  }
});
