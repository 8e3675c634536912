/**
 * Every schema change, in order, as SQL shared by PGlite and PostgreSQL. Kept in TypeScript so it ships
 * in dist with no asset copying. Append only: an applied migration is never edited, renamed or removed
 * (instances record ids, and an edited migration would leave old and new databases different).
 */
export interface Migration {
  /** Sorts in application order: a zero-padded sequence number and a name. */
  readonly id: string;
  /** One or more statements; run in one transaction together with its record in schema_migrations. */
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: '0001_initial',
    sql: `
CREATE TABLE consumers (
  id text PRIMARY KEY, name text NOT NULL UNIQUE,
  disabled_at timestamptz, created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE api_keys (
  id text PRIMARY KEY,                       -- the key's public id (12 base62 chars)
  consumer_id text NOT NULL REFERENCES consumers(id),
  secret_hash bytea NOT NULL,                -- SHA-256 of the whole key; the key itself is never stored
  scopes text[] NOT NULL DEFAULT '{}',
  allowed_ips text[] NOT NULL DEFAULT '{}',
  allowed_origins text[] NOT NULL DEFAULT '{}',
  expires_at timestamptz,
  revoked_at timestamptz,
  rotated_to text REFERENCES api_keys(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX api_keys_consumer_idx ON api_keys (consumer_id);
CREATE TABLE admin_tokens (
  id text PRIMARY KEY, secret_hash bytea NOT NULL, name text NOT NULL, role text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(), revoked_at timestamptz
);
CREATE TABLE data_keys (
  id text PRIMARY KEY, master_key_id text NOT NULL, wrapped bytea NOT NULL,
  active boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX data_keys_one_active ON data_keys (active) WHERE active;
CREATE TABLE audit_events (
  seq bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL, action text NOT NULL, target text, detail jsonb NOT NULL DEFAULT '{}',
  prev_hash bytea NOT NULL, hash bytea NOT NULL
);
`,
  },
  {
    id: '0002_security_operations',
    sql: `
CREATE TABLE access_records (
  seq bigserial PRIMARY KEY, at timestamptz NOT NULL, request_id text NOT NULL,
  consumer_id text, credential_id text, credential_kind text,
  service text, route text, method text NOT NULL, path text NOT NULL, status int NOT NULL,
  latency_ms float8 NOT NULL, upstream_ms float8, client_ip text NOT NULL, problem text
);
CREATE INDEX access_records_at_idx ON access_records (at);
CREATE INDEX access_records_consumer_idx ON access_records (consumer_id, seq);
-- The audit chain head, signed under a keyring data key, so rewriting the whole table is caught too.
CREATE TABLE audit_head (
  one boolean PRIMARY KEY DEFAULT true CHECK (one), seq bigint NOT NULL, hash bytea NOT NULL, seal text NOT NULL
);
CREATE TABLE alerts (
  seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, at timestamptz NOT NULL, rule text NOT NULL, severity text NOT NULL,
  subject text NOT NULL, message text NOT NULL, detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alerts_at_idx ON alerts (at);
-- Networks each key has been used from, for the never-seen-network rule.
CREATE TABLE key_networks (
  key_id text NOT NULL, network text NOT NULL, first_seen timestamptz NOT NULL, PRIMARY KEY (key_id, network)
);
`,
  },
  {
    id: '0003_signing_keys',
    sql: `
CREATE TABLE signing_keys (
  id text PRIMARY KEY,                       -- the keyid a client puts in Signature-Input (RFC 9421)
  consumer_id text NOT NULL REFERENCES consumers(id),
  algorithm text NOT NULL CHECK (algorithm IN ('hmac-sha256', 'ed25519')),
  secret_sealed text,                        -- hmac-sha256: the shared secret, sealed by the keyring
  public_jwk jsonb,                          -- ed25519: the public key the consumer registered
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CHECK ((algorithm = 'hmac-sha256') = (secret_sealed IS NOT NULL) AND (algorithm = 'ed25519') = (public_jwk IS NOT NULL))
);
CREATE INDEX signing_keys_consumer_idx ON signing_keys (consumer_id);
`,
  },
  {
    id: '0004_oauth',
    sql: `
CREATE TABLE oauth_clients (
  id text PRIMARY KEY,                       -- client_id (cli_ + 12 base62 chars), public
  consumer_id text NOT NULL REFERENCES consumers(id),
  auth_method text NOT NULL,                 -- client_secret (basic or post) | private_key_jwt
  secret_hash bytea,                         -- SHA-256 of the pcs_ secret; the secret itself is never stored
  previous_secret_hash bytea,                -- the secret before rotate-secret, accepted until the grace end
  previous_secret_expires_at timestamptz,
  public_jwk jsonb,                          -- private_key_jwt: the client's public key (RFC 7523)
  scopes text[] NOT NULL DEFAULT '{}',
  allowed_ips text[] NOT NULL DEFAULT '{}',
  allowed_origins text[] NOT NULL DEFAULT '{}',
  redirect_uris text[] NOT NULL DEFAULT '{}', -- authorization_code: exact-match redirect URIs
  dpop_bound boolean NOT NULL DEFAULT false, -- RFC 9449: its tokens only with a DPoP proof
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX oauth_clients_consumer_idx ON oauth_clients (consumer_id);
CREATE TABLE oauth_signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL,
  public_jwk jsonb NOT NULL,
  private_jwk text NOT NULL,                 -- keyring ciphertext (AES-256-GCM, context signing-key:<kid>)
  created_at timestamptz NOT NULL,
  signs_from timestamptz NOT NULL            -- published from created_at, signs from here on
);
CREATE TABLE oauth_revoked_tokens (
  jti text PRIMARY KEY, client_id text NOT NULL, expires_at timestamptz NOT NULL
);
CREATE TABLE oauth_authorization_requests ( -- between /oauth/authorize and the login page's approval
  id text PRIMARY KEY, client_id text NOT NULL REFERENCES oauth_clients(id), redirect_uri text NOT NULL,
  scopes text[] NOT NULL, state text, code_challenge text NOT NULL, expires_at timestamptz NOT NULL
);
CREATE TABLE oauth_token_families (          -- one per authorization: every refresh token descends from it
  id text PRIMARY KEY, client_id text NOT NULL REFERENCES oauth_clients(id), subject text NOT NULL,
  scopes text[] NOT NULL, created_at timestamptz NOT NULL, revoked_at timestamptz
);
CREATE TABLE oauth_codes (
  code_hash bytea PRIMARY KEY,               -- SHA-256 of the code; the code itself is never stored
  family_id text NOT NULL REFERENCES oauth_token_families(id), redirect_uri text NOT NULL,
  code_challenge text NOT NULL, expires_at timestamptz NOT NULL, used_at timestamptz
);
CREATE TABLE oauth_refresh_tokens (
  token_hash bytea PRIMARY KEY,              -- SHA-256 of the refresh token
  family_id text NOT NULL REFERENCES oauth_token_families(id),
  expires_at timestamptz NOT NULL, used_at timestamptz,
  access_jti text NOT NULL, access_expires_at timestamptz NOT NULL  -- the access token issued with it
);
CREATE INDEX oauth_refresh_tokens_family_idx ON oauth_refresh_tokens (family_id);
CREATE TABLE oauth_used_assertions (          -- private_key_jwt jti values, refused a second time
  client_id text NOT NULL, jti text NOT NULL, expires_at timestamptz NOT NULL, PRIMARY KEY (client_id, jti)
);
`,
  },
  {
    id: '0005_admin_rbac',
    sql: `
ALTER TABLE admin_tokens ADD COLUMN expires_at timestamptz;   -- null: until revoked (the bootstrap token)
ALTER TABLE admin_tokens ADD COLUMN consumers text[];         -- a developer token limited to these; null: all
ALTER TABLE admin_tokens ADD COLUMN created_by text;          -- the actor that created it; null: first start
`,
  },
  {
    id: '0006_console',
    sql: `
CREATE TABLE console_users (                 -- the people who sign in to the console (docs/console.md)
  id text PRIMARY KEY,                       -- usr_ + 16 base62 chars
  username text NOT NULL UNIQUE,             -- lower case
  role text NOT NULL,                        -- owner | admin | developer | auditor
  password_hash text,                        -- scrypt$N$r$p$salt$hash; NULL until the user sets it
  totp_secret text,                          -- keyring ciphertext (context totp:<id>); NULL until enrolled
  totp_last_step bigint,                     -- the last time step accepted: a code is never accepted twice
  created_at timestamptz NOT NULL,
  disabled_at timestamptz
);
CREATE TABLE console_recovery_codes (        -- one-time MFA recovery codes, SHA-256 only
  user_id text NOT NULL REFERENCES console_users(id), code_hash bytea NOT NULL, used_at timestamptz,
  PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE console_setup_tokens (          -- one-time setup links: SHA-256 of the token, single use
  token_hash bytea PRIMARY KEY, user_id text NOT NULL REFERENCES console_users(id),
  expires_at timestamptz NOT NULL, used_at timestamptz
);
CREATE TABLE console_sessions (
  id_hash bytea PRIMARY KEY,                 -- SHA-256 of the cookie value; the value itself is never stored
  subject text NOT NULL,                     -- a console user id, or sso:<issuer subject>
  role text NOT NULL,
  stage text NOT NULL,                       -- enrol | mfa | active: only active reaches the admin API
  pending_totp text,                         -- enrolment: keyring ciphertext of the secret being confirmed
  created_at timestamptz NOT NULL, last_seen_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_subject_idx ON console_sessions (subject);
CREATE TABLE console_login_failures (        -- throttling per user name and client address, never per user alone
  subject_hash bytea PRIMARY KEY, failures integer NOT NULL, last_failure_at timestamptz NOT NULL
);
`,
  },
  {
    id: '0008_secops_events',
    sql: `
-- When the current client secret was issued (creation or the last rotate-secret): the secret-age metric.
ALTER TABLE oauth_clients ADD COLUMN secret_created_at timestamptz;
UPDATE oauth_clients SET secret_created_at = created_at WHERE secret_hash IS NOT NULL;
`,
  },
  {
    id: '0009_sso',
    sql: `
CREATE TABLE sso_one_time (                   -- SSO state used once: pending sign-ins, seen SAML assertion ids
  kind text NOT NULL, id text NOT NULL, data jsonb NOT NULL, expires_at timestamptz NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX sso_one_time_expires_idx ON sso_one_time (expires_at);
`,
  },
  {
    id: '0010_access_record_batches',
    sql: `
-- The embedded store keeps access records as batches: one row per batch the queue writes, its rows
-- deflated (observe/access-record-batch-repository.ts). A record's seq is id * 1000000 + its place in the batch.
CREATE TABLE access_record_batches (
  id bigserial PRIMARY KEY, first_at timestamptz NOT NULL, last_at timestamptz NOT NULL, count integer NOT NULL,
  consumers text[] NOT NULL, credentials text[] NOT NULL, rows bytea NOT NULL
);
-- Already deflated: TOAST would only spend time trying to compress it again.
ALTER TABLE access_record_batches ALTER COLUMN rows SET STORAGE EXTERNAL;
CREATE INDEX access_record_batches_last_at_idx ON access_record_batches (last_at);
-- Records kept before, in access_records, stay older than every batch: their seqs come first.
SELECT setval('access_record_batches_id_seq', max(seq) / 1000000 + 1, false) FROM access_records HAVING max(seq) IS NOT NULL;
`,
  },
];
