-- Accounts: users (password and/or OpenID Connect), sign-in sessions, API keys and the audit
-- log. Every conversation, run and LLM call now has an owner; events, messages and log records
-- belong to their run's (or conversation's) owner.

CREATE TABLE users (
  id            uuid PRIMARY KEY,
  -- Lower-cased. Only the local user (below) has none.
  email         text UNIQUE CHECK (email = lower(email)),
  name          text NOT NULL DEFAULT '',
  role          text NOT NULL CHECK (role IN ('admin', 'member')),
  -- argon2id PHC string; NULL: no password (single sign-on only, or the local user).
  password_hash text,
  oidc_issuer   text,
  oidc_subject  text,
  disabled_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (oidc_issuer, oidc_subject),
  CHECK (email IS NOT NULL OR id = '00000000-0000-0000-0000-000000000001')
);

-- The local user: who everything is done as when nobody signs in (GLASSBOX_AUTH unset on
-- loopback, or off). It has no way to sign in. What was recorded before accounts existed is its.
INSERT INTO users (id, name, role)
VALUES ('00000000-0000-0000-0000-000000000001', 'Local user', 'admin');

-- The old free-text user labels were never checked; the LLM call records keep theirs.
UPDATE llm_calls SET metadata = metadata || jsonb_build_object('legacy_user_id', user_id)
WHERE user_id IS NOT NULL;

ALTER TABLE conversations
  ALTER COLUMN user_id TYPE uuid USING '00000000-0000-0000-0000-000000000001',
  ALTER COLUMN user_id SET NOT NULL,
  ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE runs
  ALTER COLUMN user_id TYPE uuid USING '00000000-0000-0000-0000-000000000001',
  ALTER COLUMN user_id SET NOT NULL,
  ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE llm_calls
  ALTER COLUMN user_id TYPE uuid USING '00000000-0000-0000-0000-000000000001',
  ALTER COLUMN user_id SET NOT NULL,
  ADD FOREIGN KEY (user_id) REFERENCES users (id);
CREATE INDEX runs_user ON runs (user_id, started_at DESC);

-- A signed-in browser. The cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
  id_hash       bytea PRIMARY KEY,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  -- Absolute end; the idle limit is checked against last_seen_at.
  expires_at    timestamptz NOT NULL,
  ip            text NOT NULL DEFAULT '',
  user_agent    text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- gb_live_<id>_<secret>: the id is public (shown in lists), only SHA-256(secret) is stored.
CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name          text NOT NULL,
  secret_hash   bytea NOT NULL,
  scopes        text[] NOT NULL
                CHECK (cardinality(scopes) > 0
                  AND scopes <@ ARRAY['chat', 'read', 'admin', 'gateway']::text[]),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at DESC);

-- Who did what to whom: sign-ins (and failed ones), users, roles, keys, sessions, deletions.
-- The actor's email is copied so an entry still reads after that user is deleted.
CREATE TABLE audit_log (
  id             bigserial PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  actor_user_id  uuid,
  actor_email    text,
  action         text NOT NULL,
  target         text,
  ip             text NOT NULL DEFAULT '',
  detail         jsonb NOT NULL DEFAULT '{}'
);
