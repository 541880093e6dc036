-- The logs explorer's searchable history: every run's log records (a projection of the
-- `glassbox.log` events, written by the same batched writer, with the same id) and the HTTP
-- request records (kind 'http'). The run's events stay its replayable record; this table is
-- what is filtered and searched, with the owner copied in so a member's query needs no join.
CREATE TABLE log_records (
  -- A run record: its event's id. An HTTP record: the next id of the same sequence.
  id               bigint PRIMARY KEY DEFAULT nextval('events_id_seq'),
  at               timestamptz NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('run', 'http')),
  level            text NOT NULL
                   CHECK (level IN ('trace', 'debug', 'info', 'warning', 'error', 'fatal')),
  -- Whose record: the run's owner, or who made the request (NULL: nobody signed in; admins only).
  user_id          uuid,
  run_id           uuid,
  conversation_id  uuid,
  agent            text,
  category         text NOT NULL,
  message          text NOT NULL,
  properties       jsonb NOT NULL DEFAULT '{}',
  request_id       text,
  -- The words of the message and the properties (keys and values). 'simple': log text is
  -- identifiers, paths and codes more than English prose, so no stemming. / . : = @ split words
  -- (the parser would keep /api/v1/runs or a@b.c as one token); queries get the same treatment
  -- (db/log_records.ts SEARCH_SPLIT).
  search           tsvector GENERATED ALWAYS AS (
                     to_tsvector('simple',
                       translate(message || ' ' || properties::text, '/.:=@', '     '))) STORED
);
CREATE INDEX log_records_at ON log_records (at DESC, id DESC);
CREATE INDEX log_records_user ON log_records (user_id, at DESC, id DESC);
CREATE INDEX log_records_run ON log_records (run_id, at DESC, id DESC);
CREATE INDEX log_records_conversation ON log_records (conversation_id, at DESC, id DESC);
CREATE INDEX log_records_request ON log_records (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX log_records_problems ON log_records (level, at DESC, id DESC)
  WHERE level IN ('warning', 'error', 'fatal');
CREATE INDEX log_records_search ON log_records USING gin (search);
-- Retention finds the calls whose prompt or response is still kept, oldest first.
CREATE INDEX llm_calls_prompt_kept ON llm_calls (started_at)
  WHERE prompt IS NOT NULL OR tool_definitions IS NOT NULL;
CREATE INDEX llm_calls_response_kept ON llm_calls (started_at)
  WHERE response IS NOT NULL OR tool_calls IS NOT NULL;

-- The log records already in the spine.
INSERT INTO log_records (id, at, kind, level, user_id, run_id, conversation_id, agent, category,
  message, properties)
SELECT e.id, e.created_at, 'run',
  CASE WHEN e.payload->'value'->>'level' IN ('trace', 'debug', 'info', 'warning', 'error', 'fatal')
    THEN e.payload->'value'->>'level' ELSE 'info' END,
  r.user_id, r.id, r.conversation_id, e.payload->'value'->>'agent',
  coalesce(e.payload->'value'->>'category', ''), coalesce(e.payload->'value'->>'message', ''),
  coalesce(e.payload->'value'->'properties', '{}')
FROM events e JOIN runs r ON r.id = e.run_id
WHERE e.name = 'glassbox.log';
