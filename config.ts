/**
 * Configuration from environment variables, validated once at start-up (zod). Each subsystem's
 * variables, defaults and messages are in config/ (server, auth, cost, logging, database, llm,
 * alerts, agents); this composes them.
 */
import { z } from "zod";
import { type AgentsConfig, agentsConfig, agentsVars } from "./config/agents.ts";
import { type AlertsConfig, alertsConfig, alertsVars } from "./config/alerts.ts";
import { type AuthConfig, authConfig, authProblems, authVars } from "./config/auth.ts";
import { type CostConfig, costConfig, costVars } from "./config/cost.ts";
import { type DatabaseConfig, databaseConfig, databaseVars } from "./config/database.ts";
import { type LlmConfig, llmConfig, llmVars } from "./config/llm.ts";
import { type LoggingConfig, loggingConfig, loggingVars } from "./config/logging.ts";
import { type ServerConfig, serverConfig, serverVars } from "./config/server.ts";
import { type Env, varBuilders } from "./config/vars.ts";

export interface Config
  extends
    ServerConfig,
    CostConfig,
    DatabaseConfig,
    LlmConfig,
    LoggingConfig,
    AlertsConfig,
    AgentsConfig {
  auth: AuthConfig;
  /** The environment Glassbox started with, for the team file's `${NAME}` references. */
  lookupEnv(name: string): string | undefined;
}

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
export function loadConfig(env: Env, opts: { serving?: boolean } = {}): Config {
  // Empty counts as unset (docker-compose style `VAR=`).
  const vars = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const parsed = envSchema(vars).safeParse(vars);
  if (!parsed.success) {
    // One problem per variable (its schema's first complaint), in PROBLEM_ORDER.
    const byVar = new Map<string, string>();
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]);
      if (!byVar.has(name)) byVar.set(name, issue.message);
    }
    throw new ConfigError([...byVar].sort(([a], [b]) => rank(a) - rank(b)).map(([, p]) => p));
  }
  const v = parsed.data;
  const crossProblems = authProblems(v, opts.serving ?? true);
  if (crossProblems.length > 0) throw new ConfigError(crossProblems);
  return {
    ...serverConfig(v),
    auth: authConfig(v),
    ...costConfig(v),
    ...databaseConfig(v),
    ...llmConfig(v),
    ...loggingConfig(v),
    ...alertsConfig(v),
    ...agentsConfig(v),
    lookupEnv: (name) => Object.hasOwn(vars, name) ? vars[name] : undefined,
  };
}

/** The environment's schema; messages quote the raw value, so it is built per environment. */
function envSchema(env: Env) {
  const b = varBuilders(env);
  return z.object({
    ...serverVars(b),
    ...authVars(b),
    ...costVars(b),
    ...databaseVars(b),
    ...llmVars(b),
    ...loggingVars(b),
    ...alertsVars(b),
    ...agentsVars(b),
  });
}

/**
 * The order bad variables are listed in: the one they had before config/ was split by subsystem,
 * kept so the messages stay the same. A variable missing here comes after these (stable sort).
 */
const PROBLEM_ORDER = `PORT HOST GLASSBOX_AUTH GLASSBOX_ADMIN_EMAIL GLASSBOX_ADMIN_PASSWORD
  GLASSBOX_ADMIN_PASSWORD_FILE GLASSBOX_PUBLIC_URL GLASSBOX_TRUST_PROXY GLASSBOX_SESSION_IDLE_HOURS
  GLASSBOX_SESSION_MAX_DAYS GLASSBOX_OIDC_ISSUER GLASSBOX_OIDC_CLIENT_ID GLASSBOX_OIDC_CLIENT_SECRET
  GLASSBOX_OIDC_ALLOWED_DOMAINS GLASSBOX_OIDC_ADMIN_CLAIM GLASSBOX_OIDC_ADMIN_VALUE
  GLASSBOX_OIDC_SCOPES GLASSBOX_OIDC_TOKEN_AUTH GLASSBOX_AUTH_HASH_WORKERS GLASSBOX_METRICS_TOKEN
  GLASSBOX_USER_MAX_RUNS GLASSBOX_USER_RUNS_PER_MINUTE GLASSBOX_BUDGETS GLASSBOX_UNPRICED
  GLASSBOX_BUDGET_MAX_OUTPUT_TOKENS GLASSBOX_RUN_MAX_LLM_CALLS GLASSBOX_RUN_MAX_SUBAGENTS
  GLASSBOX_RUN_MAX_SECONDS GLASSBOX_RUN_MAX_REPEATS GLASSBOX_RETENTION_DAYS
  GLASSBOX_RETENTION_PROMPT_DAYS GLASSBOX_RETENTION_RESPONSE_DAYS DATABASE_URL OPENAI_BASE_URL
  OPENAI_API_KEY GLASSBOX_MODEL GLASSBOX_DATA GLASSBOX_LOG_CONTENT GLASSBOX_PRICES
  GLASSBOX_DEMO_DELAY_MS GLASSBOX_LLM_IDLE_TIMEOUT_MS GLASSBOX_GATEWAY_SESSION_IDLE_MS
  GLASSBOX_LLM_MAX_ATTEMPTS GLASSBOX_SHUTDOWN_TIMEOUT_MS GLASSBOX_REQUEST_TIMEOUT_MS
  GLASSBOX_WRITER_MAX_PENDING GLASSBOX_DB_WRITE_TIMEOUT_MS GLASSBOX_INSTANCE_LEASE_MS
  GLASSBOX_ALERT_INTERVAL_MS GLASSBOX_ALERT_RETRY_BASE_MS GLASSBOX_ALERT_MAX_ATTEMPTS
  GLASSBOX_ALERT_TIMEOUT_MS GLASSBOX_AGENTS`.split(/\s+/);

function rank(name: string): number {
  const i = PROBLEM_ORDER.indexOf(name);
  return i === -1 ? PROBLEM_ORDER.length : i;
}
