/**
 * Starts a whole Glassbox (real database, real HTTP) on a free loopback port for a test.
 * `env` is what the environment would hold — or a function of the server's URL, for settings
 * that name it (an OpenID provider's redirect URI); logs go into `opts.logs` when given, else
 * nowhere unless GLASSBOX_TEST_LOGS is set.
 */
import { createGlassbox, type Glassbox } from "../../app.ts";
import { loadConfig } from "../../config.ts";
import { freshPostgres } from "./db.ts";
import { type Script, startScriptedLlm } from "./scripted_llm.ts";
import { allMessages } from "./sse_client.ts";

export interface TestServer {
  url: string;
  glassbox: Glassbox;
  close(): Promise<void>;
}

export async function startGlassbox(
  env:
    | Record<string, string>
    | ((url: string) => Record<string, string> | Promise<Record<string, string>>),
  opts: { logs?: string[] } = {},
): Promise<TestServer> {
  // Listen first (the URL is known), serve once Glassbox is built.
  let app: ((req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>) | null =
    null;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    (req, info) => app ? app(req, info) : new Response("starting", { status: 503 }),
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  try {
    const vars = typeof env === "function" ? await env(url) : env;
    const config = loadConfig({ GLASSBOX_DEMO_DELAY_MS: "0", ...vars, PORT: "0" });
    const logs = opts.logs;
    const glassbox = await createGlassbox(config, {
      writeLog: logs
        ? (line) => logs.push(line)
        : Deno.env.get("GLASSBOX_TEST_LOGS")
        ? undefined
        : () => {},
    });
    app = glassbox.app.fetch;
    return {
      url,
      glassbox,
      close: async () => {
        await glassbox.close();
        await server.shutdown();
      },
    };
  } catch (err) {
    await server.shutdown();
    throw err;
  }
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
 * A chat over POST /api/v1/chat/stream: its run's id, the run's journal (open while it runs) and
 * every message of the stream, read to its end.
 */
export async function followChat(gb: TestServer, message: string) {
  const res = await postJson(`${gb.url}/api/v1/chat/stream`, { message });
  const runId = res.headers.get("x-run-id")!;
  const journal = gb.glassbox.deps.journals.get(runId)!;
  return { status: res.status, runId, journal, followed: allMessages(res.body!) };
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
