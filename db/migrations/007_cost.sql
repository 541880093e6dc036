-- Cost control (issue 12): cache-write tokens, budgets set by admins, the threshold crossings
-- already announced, cost settings, and runs stopped by a budget or a runaway guard.

-- Part of input_tokens written to the prompt cache (Anthropic-style caches bill it apart).
ALTER TABLE llm_calls ADD COLUMN cache_write_tokens integer;

-- 'stopped': ended gracefully by a budget or a guard; runs.error holds the reason.
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check CHECK (
  status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted', 'stopped'));

-- A limit on spend in USD and/or tokens. scope run | conversation: each one's total; user |
-- agent | global: per calendar period (UTC day or month). subject: one user's id or one agent's
-- name, or '' for every user (agent). Configuration gives defaults; a row here with the same
-- scope, period and subject replaces the configured one.
CREATE TABLE budgets (
  id            uuid PRIMARY KEY,
  scope         text NOT NULL CHECK (scope IN ('run', 'conversation', 'user', 'agent', 'global')),
  period        text CHECK (period IN ('day', 'month')),
  subject       text NOT NULL DEFAULT '',
  limit_usd     numeric(14, 8) CHECK (limit_usd >= 0),
  limit_tokens  bigint CHECK (limit_tokens >= 0),
  warn_percent  integer NOT NULL DEFAULT 80 CHECK (warn_percent BETWEEN 1 AND 100),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  updated_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  CHECK (limit_usd IS NOT NULL OR limit_tokens IS NOT NULL),
  CHECK ((scope IN ('run', 'conversation')) = (period IS NULL)),
  CHECK (scope IN ('user', 'agent') OR subject = '')
);
CREATE UNIQUE INDEX budgets_key ON budgets (scope, coalesce(period, ''), subject);

-- Each threshold of each budget window is announced once: the first to insert its row tells.
-- window_key names the budget and its window, e.g. user:day:<user id>:2026-12-01.
CREATE TABLE budget_crossings (
  window_key  text NOT NULL,
  threshold   text NOT NULL CHECK (threshold IN ('warning', 'limit')),
  run_id      uuid REFERENCES runs (id) ON DELETE SET NULL,
  message     text NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (window_key, threshold)
);
CREATE INDEX budget_crossings_at ON budget_crossings (at DESC);

-- Settings an admin changes at run time (the unpriced-call policy); absent: configuration's.
CREATE TABLE cost_settings (
  key         text PRIMARY KEY,
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  uuid REFERENCES users (id) ON DELETE SET NULL
);

-- Budgets sum llm_calls by agent over a period.
CREATE INDEX llm_calls_agent ON llm_calls (agent_name, started_at);
