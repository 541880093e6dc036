/**
 * A Glassbox with sign-in on in front of a scripted OpenAI-compatible upstream, and a member
 * with a `gateway` key: what the gateway's tests share. `rows()` reads the llm_calls table once
 * the rows queued so far are stored.
 */
import OpenAI from "openai";
import { freshPostgres } from "./db.ts";
import { type Script, startScriptedLlm } from "./scripted_llm.ts";
import { startGlassbox } from "./server.ts";
import { accountsOf } from "./users.ts";

export async function gatewayStack(
  env: Record<string, string> = {},
  scripts: Script[] = [],
  /**
   * How Glassbox reaches the database (e.g. through a TCP proxy the test can cut); `logs`
   * collects the process's log lines.
   */
  opts: { databaseUrl?: (url: string) => string; logs?: string[] } = {},
) {
  const db = await freshPostgres();
  const llm = startScriptedLlm(scripts);
  const gb = await startGlassbox({
    DATABASE_URL: opts.databaseUrl?.(db.url) ?? db.url,
    GLASSBOX_ADMIN_EMAIL: "root@example.com",
    GLASSBOX_ADMIN_PASSWORD: "correct horse battery staple",
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "upstream-secret-key",
    GLASSBOX_PRICES: JSON.stringify({ "gpt-test": { input: 1, output: 2 } }),
    ...env,
  }, { logs: opts.logs }).catch(async (err) => {
    await llm.close();
    await db.close();
    throw err;
  });
  const user = await accountsOf(gb).create("app@example.com");
  const headers = await user.bearer(["gateway"]);
  const key = headers.authorization.slice("Bearer ".length);
  return {
    db,
    llm,
    gb,
    user,
    key,
    headers,
    base: `${gb.url}/llm/v1`,
    openai: (defaultHeaders: Record<string, string> = {}) =>
      new OpenAI({ baseURL: `${gb.url}/llm/v1`, apiKey: key, maxRetries: 0, defaultHeaders }),
    /** The llm_calls rows, oldest first, once every row recorded so far is stored. */
    rows: async () => {
      await gb.glassbox.deps.llmCalls.flush();
      return await db.sql`SELECT * FROM llm_calls ORDER BY started_at`;
    },
    async [Symbol.asyncDispose]() {
      // The upstream first: a stalled answer a failed test left open ends, so Glassbox can.
      await llm.close();
      await gb.close();
      await db.close();
    },
  };
}
