/** Configuration from environment variables, validated once at start-up (zod). */
import { z } from "zod";
import type { PriceTable } from "./agents/llm/cost.ts";

export type ContentLogging = { mode: "full" } | { mode: "off" } | {
  mode: "truncate";
  chars: number;
};

export interface Config {
  port: number;
  /** null: embedded PGlite under `dataDir`. */
  databaseUrl: string | null;
  /** null with apiKey null: the built-in offline demo model. */
  openaiBaseUrl: string | null;
  openaiApiKey: string | null;
  model: string;
  dataDir: string;
  contentLogging: ContentLogging;
  /** The environment's provider's prices (USD per million tokens); other models cost NULL. */
  prices: PriceTable;
  /** Delay between demo-model chunks, so a person can watch the demo run. */
  demoChunkDelayMs: number;
  /** End a stream that sends nothing for this long. */
  llmIdleTimeoutMs: number;
  llmMaxAttempts: number;
  /** GLASSBOX_AGENTS: the team file; null: the built-in team. */
  teamFile: string | null;
  /** The environment Glassbox started with, for the team file's `${NAME}` references. */
  lookupEnv(name: string): string | undefined;
}

export const DEMO_MODEL = "glassbox-demo";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

/** Parses and validates; throws ConfigError listing every bad value at once. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty counts as unset (docker-compose style `VAR=`).
  const vars = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const parsed = envSchema(vars).safeParse(vars);
  if (!parsed.success) {
    // One problem per variable (its schema's first complaint), in the schema's order.
    const byVar = new Map<string, string>();
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      if (!byVar.has(name)) byVar.set(name, issue.message);
    }
    throw new ConfigError([...byVar.values()]);
  }
  const v = parsed.data;
  const usesDemo = !v.OPENAI_BASE_URL && !v.OPENAI_API_KEY;
  return {
    port: v.PORT,
    databaseUrl: v.DATABASE_URL ?? null,
    openaiBaseUrl: v.OPENAI_BASE_URL ?? null,
    openaiApiKey: v.OPENAI_API_KEY ?? null,
    model: v.GLASSBOX_MODEL ?? (usesDemo ? DEMO_MODEL : "gpt-4o-mini"),
    dataDir: v.GLASSBOX_DATA ?? ".glassbox",
    contentLogging: v.GLASSBOX_LOG_CONTENT,
    prices: v.GLASSBOX_PRICES,
    demoChunkDelayMs: v.GLASSBOX_DEMO_DELAY_MS,
    llmIdleTimeoutMs: v.GLASSBOX_LLM_IDLE_TIMEOUT_MS,
    llmMaxAttempts: v.GLASSBOX_LLM_MAX_ATTEMPTS,
    teamFile: v.GLASSBOX_AGENTS ?? null,
    lookupEnv: (name) => Object.hasOwn(vars, name) ? vars[name] : undefined,
  };
}

/** The environment's schema; messages quote the raw value, so it is built per environment. */
function envSchema(env: Record<string, string | undefined>) {
  const integer = (name: string, fallback: number, min: number, max: number) => {
    const message = `${name}=${JSON.stringify(env[name])} must be an integer from ${min} to ${max}`;
    return z.coerce.number({ message }).int({ message }).min(min, { message })
      .max(max, { message }).default(fallback);
  };
  const url = (name: string, protocols: string[]) =>
    z.string().url({ message: `${name} is not a URL` }).refine(
      (raw) => !URL.canParse(raw) || protocols.includes(new URL(raw).protocol),
      (raw) => ({
        message: `${name} must start with ${protocols.join(" or ")} (got ${new URL(raw).protocol})`,
      }),
    ).optional();
  const contentMessage = `GLASSBOX_LOG_CONTENT=${
    JSON.stringify(env.GLASSBOX_LOG_CONTENT)
  } must be "full", "off" or a positive character count`;
  return z.object({
    PORT: integer("PORT", 8000, 0, 65535),
    DATABASE_URL: url("DATABASE_URL", ["postgres:", "postgresql:"]),
    OPENAI_BASE_URL: url("OPENAI_BASE_URL", ["http:", "https:"]),
    OPENAI_API_KEY: z.string().optional(),
    GLASSBOX_MODEL: z.string().optional(),
    GLASSBOX_DATA: z.string().optional(),
    GLASSBOX_LOG_CONTENT: z.union([
      z.enum(["full", "off"]).transform((mode) => ({ mode })),
      z.coerce.number().int().positive().transform((chars) => ({
        mode: "truncate" as const,
        chars,
      })),
    ], { errorMap: () => ({ message: contentMessage }) }).default(1000),
    GLASSBOX_PRICES: z.string().optional().transform((raw, ctx) => {
      if (raw === undefined) return { ...DEFAULT_PRICES };
      const table = PriceTable.safeParse(jsonOrUndefined(raw));
      if (table.success) return { ...DEFAULT_PRICES, ...table.data };
      ctx.addIssue({
        code: "custom",
        message:
          'GLASSBOX_PRICES must be JSON like {"my-model":{"input":0.5,"output":1.5}} (USD per 1M tokens)',
      });
      return z.NEVER;
    }),
    GLASSBOX_DEMO_DELAY_MS: integer("GLASSBOX_DEMO_DELAY_MS", 25, 0, 10_000),
    GLASSBOX_LLM_IDLE_TIMEOUT_MS: integer("GLASSBOX_LLM_IDLE_TIMEOUT_MS", 30_000, 10, 3_600_000),
    GLASSBOX_LLM_MAX_ATTEMPTS: integer("GLASSBOX_LLM_MAX_ATTEMPTS", 3, 1, 10),
    GLASSBOX_AGENTS: z.string().optional(),
  });
}

/** USD per million tokens, by model; extra fields are kept. */
const PriceTable = z.record(
  z.object({ input: z.number(), output: z.number(), cachedInput: z.number().optional() })
    .passthrough(),
);

function jsonOrUndefined(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export function usesDemoModel(config: Config): boolean {
  return !config.openaiBaseUrl && !config.openaiApiKey;
}

/** Default prices (USD per 1M tokens) for common models; GLASSBOX_PRICES (JSON) adds or overrides. */
export const DEFAULT_PRICES: Config["prices"] = {
  [DEMO_MODEL]: { input: 0, output: 0 },
  "gpt-4o": { input: 2.5, output: 10, cachedInput: 1.25 },
  "gpt-4o-mini": { input: 0.15, output: 0.6, cachedInput: 0.075 },
  "gpt-4.1": { input: 2, output: 8, cachedInput: 0.5 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6, cachedInput: 0.1 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4, cachedInput: 0.025 },
  "o4-mini": { input: 1.1, output: 4.4, cachedInput: 0.275 },
};

export const HELP = `Glassbox — watch AI agents work; every LLM call recorded.

Usage: glassbox [--help] [--version]

Environment:
  PORT                     HTTP port (default 8000)
  HOST                     listen address (default 0.0.0.0)
  DATABASE_URL             postgres://… ; unset: embedded PGlite under GLASSBOX_DATA
  GLASSBOX_DATA            data directory for the embedded database (default .glassbox)
  OPENAI_BASE_URL          any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio…):
                           the provider "default"
  OPENAI_API_KEY           its key; with neither set, the built-in offline demo model is used
  GLASSBOX_MODEL           model of agents that name none (default gpt-4o-mini, or
                           glassbox-demo offline)
  GLASSBOX_LOG_CONTENT     prompt/response stored per LLM call: a character count
                           (default 1000), "full" or "off"
  GLASSBOX_PRICES          JSON price table, USD per 1M tokens: {"model":{"input":1,"output":2}}
  GLASSBOX_DEMO_DELAY_MS   delay between demo-model chunks (default 25)
  GLASSBOX_LLM_IDLE_TIMEOUT_MS  end a stalled LLM stream after this long (default 30000)
  GLASSBOX_LLM_MAX_ATTEMPTS     attempts per LLM call on 429/5xx (default 3)
  GLASSBOX_AGENTS          your team file (YAML or JSON): providers, MCP servers, agents;
                           default: the built-in team. Reloaded on change and on SIGHUP
`;
