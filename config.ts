/** Configuration from environment variables, validated once at start-up. */

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
  /** USD per million tokens, by model name; calls to other models get cost NULL. */
  prices: Record<string, { input: number; output: number; cachedInput?: number }>;
  /** Delay between demo-model chunks, so a person can watch the demo run. */
  demoChunkDelayMs: number;
  /** End a stream that sends nothing for this long. */
  llmIdleTimeoutMs: number;
  llmMaxAttempts: number;
}

export const DEMO_MODEL = "glassbox-demo";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

/** Parses and validates; throws ConfigError listing every bad value at once. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  const url = (name: string, protocols: string[]): string | null => {
    const raw = env[name];
    if (!raw) return null;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) {
        problems.push(`${name} must start with ${protocols.join(" or ")} (got ${u.protocol})`);
      }
      return raw;
    } catch {
      problems.push(`${name} is not a URL`);
      return null;
    }
  };

  const port = int("PORT", 8000, 0, 65535);
  const databaseUrl = url("DATABASE_URL", ["postgres:", "postgresql:"]);
  const openaiBaseUrl = url("OPENAI_BASE_URL", ["http:", "https:"]);
  const openaiApiKey = env.OPENAI_API_KEY || null;
  const usesDemo = !openaiBaseUrl && !openaiApiKey;
  const model = env.GLASSBOX_MODEL || (usesDemo ? DEMO_MODEL : "gpt-4o-mini");
  const contentLogging = parseContentLogging(env.GLASSBOX_LOG_CONTENT, problems);
  const prices = parsePrices(env.GLASSBOX_PRICES, problems);

  const config: Config = {
    port,
    databaseUrl,
    openaiBaseUrl,
    openaiApiKey,
    model,
    dataDir: env.GLASSBOX_DATA || ".glassbox",
    contentLogging,
    prices,
    demoChunkDelayMs: int("GLASSBOX_DEMO_DELAY_MS", 25, 0, 10_000),
    llmIdleTimeoutMs: int("GLASSBOX_LLM_IDLE_TIMEOUT_MS", 30_000, 10, 3_600_000),
    llmMaxAttempts: int("GLASSBOX_LLM_MAX_ATTEMPTS", 3, 1, 10),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}

export function usesDemoModel(config: Config): boolean {
  return !config.openaiBaseUrl && !config.openaiApiKey;
}

function parseContentLogging(raw: string | undefined, problems: string[]): ContentLogging {
  if (raw === undefined || raw === "") return { mode: "truncate", chars: 1000 };
  if (raw === "full" || raw === "off") return { mode: raw };
  const n = Number(raw);
  if (Number.isInteger(n) && n > 0) return { mode: "truncate", chars: n };
  problems.push(
    `GLASSBOX_LOG_CONTENT=${
      JSON.stringify(raw)
    } must be "full", "off" or a positive character count`,
  );
  return { mode: "truncate", chars: 1000 };
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

function parsePrices(raw: string | undefined, problems: string[]): Config["prices"] {
  if (!raw) return { ...DEFAULT_PRICES };
  try {
    const parsed = JSON.parse(raw);
    const ok = typeof parsed === "object" && parsed !== null &&
      Object.values(parsed).every((p) =>
        typeof p === "object" && p !== null &&
        typeof (p as { input: unknown }).input === "number" &&
        typeof (p as { output: unknown }).output === "number"
      );
    if (ok) return { ...DEFAULT_PRICES, ...parsed };
  } catch { /* reported below */ }
  problems.push(
    'GLASSBOX_PRICES must be JSON like {"my-model":{"input":0.5,"output":1.5}} (USD per 1M tokens)',
  );
  return { ...DEFAULT_PRICES };
}

export const HELP = `Glassbox — watch AI agents work; every LLM call recorded.

Usage: glassbox [--help] [--version]

Environment:
  PORT                     HTTP port (default 8000)
  HOST                     listen address (default 0.0.0.0)
  DATABASE_URL             postgres://… ; unset: embedded PGlite under GLASSBOX_DATA
  GLASSBOX_DATA            data directory for the embedded database (default .glassbox)
  OPENAI_BASE_URL          any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio…)
  OPENAI_API_KEY           its key; with neither set, the built-in offline demo model is used
  GLASSBOX_MODEL           model name (default gpt-4o-mini, or glassbox-demo offline)
  GLASSBOX_LOG_CONTENT     prompt/response stored per LLM call: a character count
                           (default 1000), "full" or "off"
  GLASSBOX_PRICES          JSON price table, USD per 1M tokens: {"model":{"input":1,"output":2}}
  GLASSBOX_DEMO_DELAY_MS   delay between demo-model chunks (default 25)
  GLASSBOX_LLM_IDLE_TIMEOUT_MS  end a stalled LLM stream after this long (default 30000)
  GLASSBOX_LLM_MAX_ATTEMPTS     attempts per LLM call on 429/5xx (default 3)
`;
