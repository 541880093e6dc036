/**
 * Known LLM call records for the usage dashboard's tests and benchmark: rows written straight
 * into llm_calls (with their users and conversations), spread over the last days from a fixed
 * pseudo-random sequence — three models (one without a price: cost NULL), three agents (one
 * call in a few has none), every status, calls with and without token counts and first chunks,
 * and a few calls long before the period under test. Times keep clear of day boundaries relative
 * to `now` so "the last 7 days" holds the same rows whenever the page is asked.
 */
import type { Sql } from "../../db/client.ts";

export const SEED_MODELS = ["model-big", "model-small", "model-free"] as const;
export const SEED_AGENTS = ["planner", "writer", "critic"] as const;
const STATUSES = ["ok", "ok", "ok", "ok", "ok", "ok", "error", "timeout", "cancelled"];

export interface SeedOptions {
  /** The users whose calls these are (their conversations are made here). */
  users: string[];
  calls: number;
  /** Calls spread over this many days before now (default 6; the 7-day period holds them). */
  days?: number;
  /** Extra calls 40 days ago, outside every period but 90d and all (default 5). */
  old?: number;
  now?: Date;
  seed?: number;
}

/** Inserts the calls; returns the conversations made (id, user, title). */
export async function seedUsage(
  sql: Sql,
  o: SeedOptions,
): Promise<{ conversations: { id: string; userId: string; title: string }[] }> {
  let state = o.seed ?? 42;
  const rand = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const now = (o.now ?? new Date()).getTime();
  const days = o.days ?? 6;
  const conversations = o.users.flatMap((userId, u) =>
    [0, 1, 2].map((k) => ({ id: crypto.randomUUID(), userId, title: `Topic ${u}-${k}` }))
  );
  for (const c of conversations) {
    await sql`INSERT INTO conversations (id, user_id, title)
      VALUES (${c.id}, ${c.userId}, ${c.title})`;
  }
  const rows = [];
  const total = o.calls + (o.old ?? 5);
  for (let i = 0; i < total; i++) {
    const old = i >= o.calls;
    // Whole minutes between 1 h and `days` days ago (or 40 days ago): never at a period's edge.
    const ago = old ? 40 * 86_400_000 : 3_600_000 + Math.floor(rand() * days * 1440) * 60_000;
    const started = new Date(now - ago);
    const conv = pick(conversations);
    const model = pick(SEED_MODELS);
    const status = pick(STATUSES);
    const hasTokens = rand() > 0.1;
    const input = hasTokens ? 100 + Math.floor(rand() * 2000) : null;
    const output = hasTokens ? 10 + Math.floor(rand() * 500) : null;
    const priced = model !== "model-free";
    const cost = priced && input !== null && output !== null
      ? Math.round((input * (model === "model-big" ? 5 : 0.5) + output * 15) * 100) / 1e8
      : null;
    const duration = 50 + Math.floor(rand() * 3000);
    const ttft = status === "ok" && rand() > 0.2 ? 10 + Math.floor(rand() * duration * 0.5) : null;
    rows.push({
      id: crypto.randomUUID(),
      run_id: null,
      span_id: `span-${i}`,
      conversation_id: conv.id,
      user_id: conv.userId,
      agent_name: rand() > 0.05 ? pick(SEED_AGENTS) : null,
      operation: "chat",
      provider: "seed",
      request_model: model,
      usage_source: hasTokens ? "provider" : "none",
      input_tokens: input,
      output_tokens: output,
      cached_tokens: input === null ? null : Math.floor(input / 4),
      reasoning_tokens: null,
      cost_usd: cost,
      started_at: started,
      first_chunk_at: ttft === null ? null : new Date(started.getTime() + ttft),
      ended_at: new Date(started.getTime() + duration),
      duration_ms: duration,
      status,
    });
  }
  for (let i = 0; i < rows.length; i += 2000) {
    await sql`INSERT INTO llm_calls ${sql(rows.slice(i, i + 2000))}`;
  }
  return { conversations };
}
