-- Alerts: rules an admin sets on the LLM calls (cost, error rate, latency over a window) or on
-- budget events, each delivered to a webhook; every delivery and each of its attempts is kept.

CREATE TABLE alert_rules (
  id                 uuid PRIMARY KEY,
  name               text NOT NULL,
  kind               text NOT NULL CHECK (kind IN ('cost', 'error_rate', 'latency', 'budget')),
  -- USD for cost, percent for error_rate, milliseconds (p95) for latency; unused for budget.
  threshold          double precision NOT NULL DEFAULT 0,
  window_minutes     integer NOT NULL DEFAULT 60 CHECK (window_minutes > 0),
  -- error_rate and latency say nothing about fewer calls than this.
  min_calls          integer NOT NULL DEFAULT 1 CHECK (min_calls > 0),
  -- budget: which budget events fire it.
  budget_level       text NOT NULL DEFAULT 'any' CHECK (budget_level IN ('warning', 'limit', 'any')),
  webhook_url        text NOT NULL,
  -- Standard Webhooks signing secret (whsec_…): needed in the clear to sign.
  secret             text NOT NULL,
  format             text NOT NULL CHECK (format IN ('standard', 'slack')),
  enabled            boolean NOT NULL DEFAULT true,
  state              text NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'firing')),
  last_value         double precision,
  last_evaluated_at  timestamptz,
  last_fired_at      timestamptz,
  -- budget: the last event looked at (a new rule starts at the newest, not at history).
  last_event_id      bigint NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alert_deliveries (
  -- Sent as webhook-id (msg_<id>): the same for every attempt, so a receiver can deduplicate.
  id               uuid PRIMARY KEY,
  rule_id          uuid NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  event            text NOT NULL,
  -- The exact body sent (signed as is).
  payload          text NOT NULL,
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  last_status      integer,
  last_error       text
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_deliveries_recent ON alert_deliveries (created_at DESC);

CREATE TABLE alert_delivery_attempts (
  delivery_id  uuid NOT NULL REFERENCES alert_deliveries (id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  at           timestamptz NOT NULL DEFAULT now(),
  status_code  integer,
  error        text,
  duration_ms  double precision NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);
