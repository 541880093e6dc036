/** `glassbox --help`: the commands and every variable, by subsystem (README: Configuration). */
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
