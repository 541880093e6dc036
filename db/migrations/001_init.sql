-- Conversations hold messages; each user message starts a run; a run is a stream of events
-- and the LLM calls its agents made.

CREATE TABLE conversations (
  id          uuid PRIMARY KEY,
  user_id     text,
  title       text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_recent ON conversations (updated_at DESC);
CREATE INDEX conversations_user ON conversations (user_id, updated_at DESC);

CREATE TABLE runs (
  id               uuid PRIMARY KEY,
  conversation_id  uuid NOT NULL REFERENCES conversations (id),
  user_id          text,
  agent            text NOT NULL,
  status           text NOT NULL DEFAULT 'running'
                   CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
  error            text,
  started_at       timestamptz NOT NULL DEFAULT now(),
  ended_at         timestamptz
);
CREATE INDEX runs_conversation ON runs (conversation_id, started_at);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

CREATE TABLE messages (
  id               uuid PRIMARY KEY,
  conversation_id  uuid NOT NULL REFERENCES conversations (id),
  run_id           uuid REFERENCES runs (id),
  role             text NOT NULL CHECK (role IN ('user', 'assistant')),
  content          text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);

-- Append-only. id is the SSE id (allocated from events_id_seq before the event is published);
-- seq is gap-free per run. payload is the AG-UI event as sent to clients.
CREATE TABLE events (
  id          bigserial PRIMARY KEY,
  run_id      uuid NOT NULL REFERENCES runs (id),
  seq         integer NOT NULL,
  type        text NOT NULL,
  name        text,
  payload     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (run_id, seq)
);
CREATE INDEX events_logs ON events (id) WHERE name = 'glassbox.log';

-- One row per LLM call attempt; names follow the OpenTelemetry GenAI conventions.
CREATE TABLE llm_calls (
  id                   uuid PRIMARY KEY,
  run_id               uuid REFERENCES runs (id),
  span_id              text NOT NULL,
  parent_span_id       text,
  conversation_id      uuid,
  user_id              text,
  agent_name           text,
  operation            text NOT NULL,
  provider             text NOT NULL,
  request_model        text NOT NULL,
  response_model       text,
  response_id          text,
  request_params       jsonb NOT NULL DEFAULT '{}',
  attempt              integer NOT NULL DEFAULT 1,
  prompt               jsonb,
  response             text,
  tool_definitions     jsonb,
  tool_calls           jsonb,
  finish_reasons       text[],
  input_tokens         integer,
  output_tokens        integer,
  cached_tokens        integer,
  reasoning_tokens     integer,
  usage_source         text NOT NULL CHECK (usage_source IN ('provider', 'none')),
  cost_usd             numeric(14, 8),
  started_at           timestamptz NOT NULL,
  first_chunk_at       timestamptz,
  ended_at             timestamptz NOT NULL,
  duration_ms          double precision NOT NULL,
  status               text NOT NULL CHECK (status IN ('ok', 'error', 'cancelled', 'timeout')),
  error_type           text,
  error_message        text,
  metadata             jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX llm_calls_run ON llm_calls (run_id, started_at);
CREATE INDEX llm_calls_conversation ON llm_calls (conversation_id, started_at);
CREATE INDEX llm_calls_user ON llm_calls (user_id, started_at);
CREATE INDEX llm_calls_model ON llm_calls (request_model, started_at);
CREATE INDEX llm_calls_status ON llm_calls (status, started_at);
CREATE INDEX llm_calls_started ON llm_calls (started_at);
