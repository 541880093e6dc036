/** Configuration from environment variables, validated once at start-up (zod). */
import { z } from "zod";
import type { PriceTable } from "./agents/llm/cost.ts";
import { BudgetSpec, UNPRICED_POLICIES, type UnpricedPolicy } from "./agents/budgets/budget.ts";
import type { RunawayLimits } from "./agents/budgets/run_guard.ts";

export type ContentLogging = { mode: "full" } | { mode: "off" } | {
  mode: "truncate";
  chars: number;
};

/**
 * Who may use Glassbox. `local`: nobody signs in, every request is the one local user (only on a
 * loopback address). `on`: accounts (password and/or OpenID Connect) are required. `off`: open
 * to anyone who reaches the port, deliberately (every page warns).
 */
export type AuthMode = "local" | "on" | "off";

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Lower-case domains a signing-in email must have; empty: any verified email. */
  allowedDomains: string[];
  /** A claim (string or list) and the value in it that makes the user an admin. */
  adminClaim: string | null;
  adminValue: string | null;
  scopes: string;
  tokenAuth: "client_secret_basic" | "client_secret_post";
}

export interface AuthConfig {
  mode: AuthMode;
  /** First admin, created at start when no admin exists. */
  adminEmail: string | null;
  adminPassword: string | null;
  /** A file holding the first admin's password (Docker secrets); read at start. */
  adminPasswordFile: string | null;
  /** The origin browsers use (https://gb.example.com); null: the request's own. */
  publicUrl: string | null;
  /** One reverse proxy in front: honour its X-Forwarded-Proto/Host/For. */
  trustProxy: boolean;
  sessionIdleHours: number;
  sessionMaxDays: number;
  oidc: OidcConfig | null;
  /** argon2 workers (each holds 19 MiB while hashing). */
  hashWorkers: number;
  /** GLASSBOX_METRICS_TOKEN: a bearer token that may read /metrics (a scraper's); null: none. */
  metricsToken: string | null;
}

export interface Config {
  port: number;
  /** Listen address; anything but loopback needs sign-in configured (or GLASSBOX_AUTH=off). */
  host: string;
  auth: AuthConfig;
  /** Per user; 0: no limit. */
  runLimits: { concurrent: number; perMinute: number };
  /** Budgets from configuration (admins replace or add), unpriced calls, runaway guards. */
  cost: {
    budgets: BudgetSpec[];
    unpriced: UnpricedPolicy;
    /** The output a call's worst case assumes when it sets no max_tokens. */
    assumedMaxOutput: number;
    guards: RunawayLimits;
  };
  /** null: embedded PGlite under `dataDir`. */
  databaseUrl: string | null;
  /** null with apiKey null: the built-in offline demo model. */
  openaiBaseUrl: string | null;
  openaiApiKey: string | null;
  model: string;
  dataDir: string;
  contentLogging: ContentLogging;
  /** Days log records, prompts and responses are kept (0: forever). */
  retention: { logDays: number; promptDays: number; responseDays: number };
  /** The environment's provider's prices (USD per million tokens); other models cost NULL. */
  prices: PriceTable;
  /** Delay between demo-model chunks, so a person can watch the demo run. */
  demoChunkDelayMs: number;
  /** End a stream that sends nothing for this long. */
  llmIdleTimeoutMs: number;
  /** A gateway session's run ends after this long without a call. */
  gatewaySessionIdleMs: number;
  llmMaxAttempts: number;
  /** The whole shutdown (runs interrupted, events stored, database closed) within this. */
  shutdownTimeoutMs: number;
  /**
   * The longest a request waits for its response headers, and a run for its start, before a 503
   * (postgres.js alone can wait for ever on a server that accepts and closes connections).
   */
  requestTimeoutMs: number;
  /**
   * The most events held in memory unstored (the database away): at it, running runs stop and
   * new ones are refused (503) until they are stored.
   */
  writerMaxPending: number;
  /**
   * A write of events or LLM calls unanswered this long is retried on a new connection pool (the
   * database's host may have vanished without closing anything).
   */
  dbWriteTimeoutMs: number;
  /** An instance that has not renewed its lease for this long is dead: its runs are interrupted. */
  instanceLeaseMs: number;
  /** Alert rules: how often they are measured, and how their webhooks are retried. */
  alerts: {
    intervalMs: number;
    retryBaseMs: number;
    maxRetryMs: number;
    maxAttempts: number;
    timeoutMs: number;
  };
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

/**
 * Parses and validates; throws ConfigError listing every bad value at once. `serving: false`
 * (a command such as `glassbox admin create`, which listens on nothing) skips the rule that a
 * non-loopback HOST needs sign-in configured.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  opts: { serving?: boolean } = {},
): Config {
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
  const crossProblems = authProblems(v, opts.serving ?? true);
  if (crossProblems.length > 0) throw new ConfigError(crossProblems);
  const usesDemo = !v.OPENAI_BASE_URL && !v.OPENAI_API_KEY;
  const auth = authConfig(v);
  return {
    port: v.PORT,
    host: v.HOST,
    auth,
    runLimits: { concurrent: v.GLASSBOX_USER_MAX_RUNS, perMinute: v.GLASSBOX_USER_RUNS_PER_MINUTE },
    cost: {
      budgets: v.GLASSBOX_BUDGETS,
      unpriced: v.GLASSBOX_UNPRICED,
      assumedMaxOutput: v.GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS,
      guards: {
        maxLlmCalls: v.GLASSBOX_RUN_MAX_LLM_CALLS,
        maxSubagents: v.GLASSBOX_RUN_MAX_SUBAGENTS,
        maxWallClockMs: v.GLASSBOX_RUN_MAX_SECONDS * 1000,
        maxRepeats: v.GLASSBOX_RUN_MAX_REPEATS,
      },
    },
    databaseUrl: v.DATABASE_URL ?? null,
    openaiBaseUrl: v.OPENAI_BASE_URL ?? null,
    openaiApiKey: v.OPENAI_API_KEY ?? null,
    model: v.GLASSBOX_MODEL ?? (usesDemo ? DEMO_MODEL : "gpt-4o-mini"),
    dataDir: v.GLASSBOX_DATA ?? ".glassbox",
    contentLogging: v.GLASSBOX_LOG_CONTENT,
    retention: {
      logDays: v.GLASSBOX_RETENTION_DAYS,
      promptDays: v.GLASSBOX_RETENTION_PROMPT_DAYS,
      responseDays: v.GLASSBOX_RETENTION_RESPONSE_DAYS,
    },
    prices: v.GLASSBOX_PRICES,
    demoChunkDelayMs: v.GLASSBOX_DEMO_DELAY_MS,
    llmIdleTimeoutMs: v.GLASSBOX_LLM_IDLE_TIMEOUT_MS,
    gatewaySessionIdleMs: v.GLASSBOX_GATEWAY_SESSION_IDLE_MS,
    llmMaxAttempts: v.GLASSBOX_LLM_MAX_ATTEMPTS,
    shutdownTimeoutMs: v.GLASSBOX_SHUTDOWN_TIMEOUT_MS,
    requestTimeoutMs: v.GLASSBOX_REQUEST_TIMEOUT_MS,
    writerMaxPending: v.GLASSBOX_WRITER_MAX_PENDING,
    dbWriteTimeoutMs: v.GLASSBOX_DB_WRITE_TIMEOUT_MS,
    instanceLeaseMs: v.GLASSBOX_INSTANCE_LEASE_MS,
    alerts: {
      intervalMs: v.GLASSBOX_ALERT_INTERVAL_MS,
      retryBaseMs: v.GLASSBOX_ALERT_RETRY_BASE_MS,
      maxRetryMs: 600_000,
      maxAttempts: v.GLASSBOX_ALERT_MAX_ATTEMPTS,
      timeoutMs: v.GLASSBOX_ALERT_TIMEOUT_MS,
    },
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
  const flag = (name: string) =>
    z.enum(["0", "1", "true", "false"], {
      errorMap: () => ({ message: `${name}=${JSON.stringify(env[name])} must be 1 or 0` }),
    }).transform((f) => f === "1" || f === "true").default("0");
  return z.object({
    PORT: integer("PORT", 8000, 0, 65535),
    HOST: z.string().refine((h) => HOST_RE.test(h), {
      message: `HOST=${JSON.stringify(env.HOST)} must be an IP address or a host name`,
    }).default("127.0.0.1"),
    GLASSBOX_AUTH: z.enum(["on", "off"], {
      errorMap: () => ({
        message: `GLASSBOX_AUTH=${JSON.stringify(env.GLASSBOX_AUTH)} must be "on" or "off"`,
      }),
    }).optional(),
    GLASSBOX_ADMIN_EMAIL: z.string().trim().toLowerCase().refine((e) => EMAIL_RE.test(e), {
      message: `GLASSBOX_ADMIN_EMAIL is not an email address`,
    }).optional(),
    GLASSBOX_ADMIN_PASSWORD: z.string().optional(),
    GLASSBOX_ADMIN_PASSWORD_FILE: z.string().optional(),
    GLASSBOX_PUBLIC_URL: url("GLASSBOX_PUBLIC_URL", ["http:", "https:"]).refine(
      (raw) =>
        raw === undefined || !URL.canParse(raw) || new URL(raw).href === `${new URL(raw).origin}/`,
      { message: "GLASSBOX_PUBLIC_URL must be an origin like https://gb.example.com (no path)" },
    ),
    GLASSBOX_TRUST_PROXY: flag("GLASSBOX_TRUST_PROXY"),
    GLASSBOX_SESSION_IDLE_HOURS: integer("GLASSBOX_SESSION_IDLE_HOURS", 12, 1, 24 * 30),
    GLASSBOX_SESSION_MAX_DAYS: integer("GLASSBOX_SESSION_MAX_DAYS", 7, 1, 400),
    GLASSBOX_OIDC_ISSUER: url("GLASSBOX_OIDC_ISSUER", ["http:", "https:"]),
    GLASSBOX_OIDC_CLIENT_ID: z.string().optional(),
    GLASSBOX_OIDC_CLIENT_SECRET: z.string().optional(),
    GLASSBOX_OIDC_ALLOWED_DOMAINS: z.string().optional().transform((raw) =>
      (raw ?? "").split(",").map((d) => d.trim().toLowerCase()).filter(Boolean)
    ),
    GLASSBOX_OIDC_ADMIN_CLAIM: z.string().optional(),
    GLASSBOX_OIDC_ADMIN_VALUE: z.string().optional(),
    GLASSBOX_OIDC_SCOPES: z.string().default("openid email profile"),
    GLASSBOX_OIDC_TOKEN_AUTH: z.enum(["client_secret_basic", "client_secret_post"], {
      errorMap: () => ({
        message: "GLASSBOX_OIDC_TOKEN_AUTH must be client_secret_basic or client_secret_post",
      }),
    }).default("client_secret_basic"),
    GLASSBOX_AUTH_HASH_WORKERS: integer("GLASSBOX_AUTH_HASH_WORKERS", 1, 1, 16),
    GLASSBOX_METRICS_TOKEN: z.string().trim().min(32, {
      message: "GLASSBOX_METRICS_TOKEN must have at least 32 characters (openssl rand -hex 32)",
    }).optional(),
    GLASSBOX_USER_MAX_RUNS: integer("GLASSBOX_USER_MAX_RUNS", 4, 0, 1000),
    GLASSBOX_USER_RUNS_PER_MINUTE: integer("GLASSBOX_USER_RUNS_PER_MINUTE", 30, 0, 100_000),
    GLASSBOX_BUDGETS: z.string().optional().transform((raw, ctx) => {
      if (raw === undefined) return [];
      const list = z.array(BudgetSpec).max(200).safeParse(jsonOrUndefined(raw));
      if (list.success) return list.data;
      const first = list.error.issues[0];
      ctx.addIssue({
        code: "custom",
        message: `GLASSBOX_BUDGETS must be a JSON list like [{"scope":"user","period":"day",` +
          `"limit_usd":5}]: ${first.path.join(".") || "the value"}: ${first.message}`,
      });
      return z.NEVER;
    }),
    GLASSBOX_UNPRICED: z.enum(UNPRICED_POLICIES, {
      errorMap: () => ({
        message: `GLASSBOX_UNPRICED=${
          JSON.stringify(env.GLASSBOX_UNPRICED)
        } must be allow, tokens or refuse`,
      }),
    }).default("allow"),
    GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS: integer(
      "GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS",
      4096,
      1,
      10_000_000,
    ),
    GLASSBOX_RUN_MAX_LLM_CALLS: integer("GLASSBOX_RUN_MAX_LLM_CALLS", 40, 0, 100_000),
    GLASSBOX_RUN_MAX_SUBAGENTS: integer("GLASSBOX_RUN_MAX_SUBAGENTS", 16, 0, 100_000),
    GLASSBOX_RUN_MAX_SECONDS: integer("GLASSBOX_RUN_MAX_SECONDS", 900, 0, 7 * 24 * 3600),
    GLASSBOX_RUN_MAX_REPEATS: integer("GLASSBOX_RUN_MAX_REPEATS", 3, 0, 1000),
    GLASSBOX_RETENTION_DAYS: integer("GLASSBOX_RETENTION_DAYS", 0, 0, 36_500),
    GLASSBOX_RETENTION_PROMPT_DAYS: integer("GLASSBOX_RETENTION_PROMPT_DAYS", 0, 0, 36_500),
    GLASSBOX_RETENTION_RESPONSE_DAYS: integer("GLASSBOX_RETENTION_RESPONSE_DAYS", 0, 0, 36_500),
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
    GLASSBOX_GATEWAY_SESSION_IDLE_MS: integer(
      "GLASSBOX_GATEWAY_SESSION_IDLE_MS",
      300_000,
      100,
      86_400_000,
    ),
    GLASSBOX_LLM_MAX_ATTEMPTS: integer("GLASSBOX_LLM_MAX_ATTEMPTS", 3, 1, 10),
    GLASSBOX_SHUTDOWN_TIMEOUT_MS: integer("GLASSBOX_SHUTDOWN_TIMEOUT_MS", 15_000, 100, 600_000),
    GLASSBOX_REQUEST_TIMEOUT_MS: integer("GLASSBOX_REQUEST_TIMEOUT_MS", 10_000, 100, 600_000),
    GLASSBOX_WRITER_MAX_PENDING: integer("GLASSBOX_WRITER_MAX_PENDING", 50_000, 10, 10_000_000),
    GLASSBOX_DB_WRITE_TIMEOUT_MS: integer("GLASSBOX_DB_WRITE_TIMEOUT_MS", 30_000, 100, 600_000),
    GLASSBOX_INSTANCE_LEASE_MS: integer("GLASSBOX_INSTANCE_LEASE_MS", 20_000, 1_000, 600_000),
    GLASSBOX_ALERT_INTERVAL_MS: integer("GLASSBOX_ALERT_INTERVAL_MS", 60_000, 1000, 86_400_000),
    GLASSBOX_ALERT_RETRY_BASE_MS: integer("GLASSBOX_ALERT_RETRY_BASE_MS", 5000, 10, 3_600_000),
    GLASSBOX_ALERT_MAX_ATTEMPTS: integer("GLASSBOX_ALERT_MAX_ATTEMPTS", 8, 1, 20),
    GLASSBOX_ALERT_TIMEOUT_MS: integer("GLASSBOX_ALERT_TIMEOUT_MS", 10_000, 100, 120_000),
    GLASSBOX_AGENTS: z.string().optional(),
  });
}

type Env = z.infer<ReturnType<typeof envSchema>>;

/** An IPv4/IPv6 address or a DNS name; a bracketed IPv6 is accepted too. */
const HOST_RE =
  /^(\[?[0-9a-fA-F:.]+\]?|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$/;
/** An email address, loosely: something@domain.tld without spaces. */
export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** At least this long, for a password given in the environment (the first admin's). */
export const MIN_PASSWORD_LENGTH = 12;

/** True for 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Problems that involve several variables (each variable alone was valid). */
function authProblems(v: Env, serving: boolean): string[] {
  const problems: string[] = [];
  const adminPassword = v.GLASSBOX_ADMIN_PASSWORD ?? v.GLASSBOX_ADMIN_PASSWORD_FILE;
  if (v.GLASSBOX_ADMIN_PASSWORD && v.GLASSBOX_ADMIN_PASSWORD_FILE) {
    problems.push("set GLASSBOX_ADMIN_PASSWORD or GLASSBOX_ADMIN_PASSWORD_FILE, not both");
  }
  if (!v.GLASSBOX_ADMIN_EMAIL !== !adminPassword) {
    problems.push(
      "GLASSBOX_ADMIN_EMAIL and GLASSBOX_ADMIN_PASSWORD (or _FILE) go together: set both or neither",
    );
  }
  if (v.GLASSBOX_ADMIN_PASSWORD && [...v.GLASSBOX_ADMIN_PASSWORD].length < MIN_PASSWORD_LENGTH) {
    problems.push(`GLASSBOX_ADMIN_PASSWORD must have at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const oidcVars = [
    "GLASSBOX_OIDC_CLIENT_ID",
    "GLASSBOX_OIDC_CLIENT_SECRET",
    "GLASSBOX_OIDC_ADMIN_CLAIM",
    "GLASSBOX_OIDC_ADMIN_VALUE",
  ] as const;
  if (v.GLASSBOX_OIDC_ISSUER) {
    for (const name of oidcVars.slice(0, 2)) {
      if (!v[name]) problems.push(`GLASSBOX_OIDC_ISSUER needs ${name}`);
    }
    const issuer = new URL(v.GLASSBOX_OIDC_ISSUER);
    if (issuer.protocol === "http:" && !isLoopbackHost(issuer.hostname)) {
      problems.push("GLASSBOX_OIDC_ISSUER must be https (http only on a loopback host)");
    }
    if (!v.GLASSBOX_PUBLIC_URL && !isLoopbackHost(v.HOST)) {
      problems.push(
        "GLASSBOX_OIDC_ISSUER on a non-loopback HOST needs GLASSBOX_PUBLIC_URL (the redirect URI is built from it)",
      );
    }
  } else {
    const stray = oidcVars.filter((name) => v[name]);
    if (stray.length) problems.push(`${stray.join(", ")} need GLASSBOX_OIDC_ISSUER`);
  }
  if (!v.GLASSBOX_OIDC_ADMIN_CLAIM !== !v.GLASSBOX_OIDC_ADMIN_VALUE) {
    problems.push("GLASSBOX_OIDC_ADMIN_CLAIM and GLASSBOX_OIDC_ADMIN_VALUE go together");
  }
  const signIn = Boolean(v.GLASSBOX_ADMIN_EMAIL || v.GLASSBOX_OIDC_ISSUER);
  if (v.GLASSBOX_AUTH === "off" && signIn) {
    problems.push(
      "GLASSBOX_AUTH=off runs without sign-in: remove GLASSBOX_ADMIN_EMAIL/GLASSBOX_OIDC_ISSUER or GLASSBOX_AUTH",
    );
  }
  if (serving && v.GLASSBOX_AUTH === undefined && !signIn && !isLoopbackHost(v.HOST)) {
    problems.push(
      `HOST=${v.HOST} is reachable from other machines and no sign-in is configured: set ` +
        "GLASSBOX_ADMIN_EMAIL and GLASSBOX_ADMIN_PASSWORD (a first admin) or GLASSBOX_OIDC_ISSUER " +
        "(single sign-on), or GLASSBOX_AUTH=off to run open to anyone who reaches the port",
    );
  }
  return problems;
}

/** Unset GLASSBOX_AUTH: on when a way to sign in is configured, else local (loopback only). */
function authConfig(v: Env): AuthConfig {
  const mode: AuthMode = v.GLASSBOX_AUTH ??
    (v.GLASSBOX_ADMIN_EMAIL || v.GLASSBOX_OIDC_ISSUER ? "on" : "local");
  return {
    mode,
    adminEmail: v.GLASSBOX_ADMIN_EMAIL ?? null,
    adminPassword: v.GLASSBOX_ADMIN_PASSWORD ?? null,
    adminPasswordFile: v.GLASSBOX_ADMIN_PASSWORD_FILE ?? null,
    publicUrl: v.GLASSBOX_PUBLIC_URL ? new URL(v.GLASSBOX_PUBLIC_URL).origin : null,
    trustProxy: v.GLASSBOX_TRUST_PROXY,
    sessionIdleHours: v.GLASSBOX_SESSION_IDLE_HOURS,
    sessionMaxDays: v.GLASSBOX_SESSION_MAX_DAYS,
    oidc: v.GLASSBOX_OIDC_ISSUER
      ? {
        issuer: v.GLASSBOX_OIDC_ISSUER,
        clientId: v.GLASSBOX_OIDC_CLIENT_ID!,
        clientSecret: v.GLASSBOX_OIDC_CLIENT_SECRET!,
        allowedDomains: v.GLASSBOX_OIDC_ALLOWED_DOMAINS,
        adminClaim: v.GLASSBOX_OIDC_ADMIN_CLAIM ?? null,
        adminValue: v.GLASSBOX_OIDC_ADMIN_VALUE ?? null,
        scopes: v.GLASSBOX_OIDC_SCOPES,
        tokenAuth: v.GLASSBOX_OIDC_TOKEN_AUTH,
      }
      : null,
    hashWorkers: v.GLASSBOX_AUTH_HASH_WORKERS,
    metricsToken: v.GLASSBOX_METRICS_TOKEN ?? null,
  };
}

/** USD per million tokens, by model; extra fields are kept. */
const PriceTable = z.record(
  z.object({
    input: z.number().nonnegative(),
    output: z.number().nonnegative(),
    cachedInput: z.number().nonnegative().optional(),
    cacheWrite: z.number().nonnegative().optional(),
    reasoning: z.number().nonnegative().optional(),
  }).passthrough(),
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
       glassbox admin create --email <address> [--member] [--password-stdin]

Environment:
  PORT                     HTTP port (default 8000)
  HOST                     listen address (default 127.0.0.1); any other address needs
                           sign-in configured, or GLASSBOX_AUTH=off
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
  GLASSBOX_GATEWAY_SESSION_IDLE_MS  end a gateway session's run after this long without a call
                           (default 300000)
  GLASSBOX_LLM_MAX_ATTEMPTS     attempts per LLM call on 429/5xx (default 3)
  GLASSBOX_SHUTDOWN_TIMEOUT_MS  the whole shutdown within this (default 15000); exit 1 if
                                accepted events could not be stored by then
  GLASSBOX_REQUEST_TIMEOUT_MS   a request without response headers after this long (the
                                database not answering) gets 503 (default 10000)
  GLASSBOX_WRITER_MAX_PENDING   events held unstored (the database away) before running runs
                                stop and new ones are refused (default 50000)
  GLASSBOX_DB_WRITE_TIMEOUT_MS  a write of events or LLM calls unanswered this long is retried
                                on new connections (default 30000)
  GLASSBOX_INSTANCE_LEASE_MS    an instance silent this long is taken for dead and its runs
                                are interrupted (default 20000; external Postgres)
  GLASSBOX_ALERT_INTERVAL_MS    how often alert rules are measured (default 60000)
  GLASSBOX_ALERT_RETRY_BASE_MS  first webhook retry's wait, doubling (default 5000)
  GLASSBOX_ALERT_MAX_ATTEMPTS   attempts per alert delivery (default 8)
  GLASSBOX_ALERT_TIMEOUT_MS     one webhook attempt's limit (default 10000)
  GLASSBOX_AGENTS          your team file (YAML or JSON): providers, MCP servers, agents;
                           default: the built-in team. Reloaded on change and on SIGHUP

Accounts and access:
  GLASSBOX_AUTH            on: sign-in required; off: open to anyone (pages warn); unset: on
                           when an admin or OIDC is configured, else one local user (loopback)
  GLASSBOX_ADMIN_EMAIL     first admin, created at start when there is no admin yet
  GLASSBOX_ADMIN_PASSWORD  its password (at least 12 characters), or
  GLASSBOX_ADMIN_PASSWORD_FILE  a file holding it (Docker secrets)
  GLASSBOX_PUBLIC_URL      the origin browsers use, e.g. https://gb.example.com
  GLASSBOX_TRUST_PROXY     1: one reverse proxy in front; honour its X-Forwarded-* headers
  GLASSBOX_SESSION_IDLE_HOURS / GLASSBOX_SESSION_MAX_DAYS  sign-in expiry (default 12 h / 7 d)
  GLASSBOX_OIDC_ISSUER, GLASSBOX_OIDC_CLIENT_ID, GLASSBOX_OIDC_CLIENT_SECRET  single sign-on
  GLASSBOX_OIDC_ALLOWED_DOMAINS  comma-separated email domains allowed to sign in (default any)
  GLASSBOX_OIDC_ADMIN_CLAIM / GLASSBOX_OIDC_ADMIN_VALUE  a claim value that makes an admin
  GLASSBOX_OIDC_SCOPES     (default "openid email profile")
  GLASSBOX_OIDC_TOKEN_AUTH client_secret_basic (default) or client_secret_post
  GLASSBOX_AUTH_HASH_WORKERS  password-hashing workers (default 1)
  GLASSBOX_METRICS_TOKEN   a bearer token (32+ characters) a Prometheus scraper sends for
                           /metrics; admins may also read it signed in or with an admin key
  GLASSBOX_USER_MAX_RUNS   runs one user may have going at once (default 4; 0: no limit)
  GLASSBOX_USER_RUNS_PER_MINUTE  runs one user may start per minute (default 30; 0: no limit)

Cost control:
  GLASSBOX_BUDGETS         JSON list of default budgets, e.g.
                           [{"scope":"user","period":"day","limit_usd":5,"warn_percent":80}]
  GLASSBOX_UNPRICED        calls to models without a price: allow (default), tokens (count
                           against token limits only) or refuse
  GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS  output a call's worst case assumes without max_tokens
                           (default 4096)
  GLASSBOX_RUN_MAX_LLM_CALLS / _MAX_SUBAGENTS / _MAX_SECONDS / _MAX_REPEATS  runaway guards
                           per run (default 40 / 16 / 900 / 3; 0: off)

Logs:
  GLASSBOX_RETENTION_DAYS  delete log records older than this many days (default 0: keep)
  GLASSBOX_RETENTION_PROMPT_DAYS / GLASSBOX_RETENTION_RESPONSE_DAYS  remove LLM calls' prompts /
                           responses older than this (default 0: keep)
`;
