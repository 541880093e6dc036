/**
 * Starts a whole Glassbox (real database, real HTTP) on a free loopback port for a test.
 * `env` is what the environment would hold; logs go nowhere unless GLASSBOX_TEST_LOGS is set.
 */
import { createGlassbox, type Glassbox } from "../../app.ts";
import { loadConfig } from "../../config.ts";
import { freshPostgres } from "./db.ts";
import { type Script, startScriptedLlm } from "./scripted_llm.ts";

export interface TestServer {
  url: string;
  glassbox: Glassbox;
  close(): Promise<void>;
}

export async function startGlassbox(
  env: Record<string, string>,
  opts: { /** Every log line is added here (and then not printed). */ logs?: string[] } = {},
): Promise<TestServer> {
  const config = loadConfig({ GLASSBOX_DEMO_DELAY_MS: "0", ...env, PORT: "0" });
  const logs = opts.logs;
  const glassbox = await createGlassbox(config, {
    writeLog: logs
      ? (line) => void logs.push(line)
      : Deno.env.get("GLASSBOX_TEST_LOGS")
      ? undefined
      : () => {},
  });
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    glassbox.app.fetch,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    glassbox,
    close: async () => {
      await glassbox.close();
      await server.shutdown();
    },
  };
}

/** POSTs JSON and returns the response. */
export function postJson(url: string, body: unknown, headers: HeadersInit = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/**
 * The usual integration set-up: a fresh Postgres database, a scripted model server and Glassbox
 * pointed at both. `close()` tears all three down.
 */
export async function startStack(
  env: Record<string, string> = {},
  scripts: Script[] = [],
) {
  const db = await freshPostgres();
  const llm = startScriptedLlm(scripts);
  const gb = await startGlassbox({
    DATABASE_URL: db.url,
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "test",
    ...env,
  });
  return {
    db,
    llm,
    gb,
    close: async () => {
      await gb.close();
      await llm.close();
      await db.close();
    },
  };
}

/** A fresh database and a Glassbox on the built-in demo model, torn down after `fn`. */
export async function withDemoGlassbox(
  fn: (gb: TestServer) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const db = await freshPostgres();
  const gb = await startGlassbox({ DATABASE_URL: db.url, ...env }).catch(async (e) => {
    await db.close();
    throw e;
  });
  try {
    await fn(gb);
  } finally {
    await gb.close();
    await db.close();
  }
}
