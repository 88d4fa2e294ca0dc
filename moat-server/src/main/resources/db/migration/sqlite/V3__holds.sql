-- Issue 4, part "holds": users and roles, per-user API tokens, forge identity links, what a run was
-- started from and with what trust, holds, the audit log and allowed signers of plain git repositories.

CREATE TABLE users (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT NOT NULL UNIQUE,
  role       TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

-- Every token belongs to a user; the user's role (not the token's own role column, kept for the
-- tokens made before users existed) decides what the token may do.
ALTER TABLE api_tokens ADD COLUMN user_id INTEGER REFERENCES users(id);
INSERT INTO users (name, role, created_at)
  SELECT 'admin', 'admin', min(created_at) FROM api_tokens WHERE role = 'admin' HAVING count(*) > 0;
UPDATE api_tokens SET user_id = (SELECT id FROM users WHERE name = 'admin') WHERE user_id IS NULL;

-- A Moat user's identity on a forge, by the forge's immutable numeric id (never the login).
CREATE TABLE forge_identities (
  forge      TEXT NOT NULL,
  forge_id   BIGINT NOT NULL,
  user_id    INTEGER NOT NULL REFERENCES users(id),
  login      TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (forge, forge_id)
);
CREATE INDEX forge_identities_by_user ON forge_identities(user_id);

-- What a run builds and with what trust: sha (above) is the head it builds, definitions_sha the
-- commit its workflow file was read from (the base for known and unknown pull requests).
ALTER TABLE runs ADD COLUMN definitions_sha TEXT;
ALTER TABLE runs ADD COLUMN trust_tier TEXT;
ALTER TABLE runs ADD COLUMN author_forge TEXT;
ALTER TABLE runs ADD COLUMN author_id BIGINT;
ALTER TABLE runs ADD COLUMN author_login TEXT;

-- One hold per held run. decision is NULL while pending, then approved | rejected | expired, once.
CREATE TABLE holds (
  run_id        INTEGER PRIMARY KEY REFERENCES runs(id),
  reason        TEXT NOT NULL,
  approver_role TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  expires_at    BIGINT NOT NULL,
  decision      TEXT,
  decided_by    TEXT,
  decided_at    BIGINT,
  comment       TEXT
);
CREATE INDEX holds_pending ON holds(expires_at) WHERE decision IS NULL;

-- Append-only: the code only ever INSERTs here (invariant I10; the hash chain comes later).
CREATE TABLE audit_events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at      BIGINT NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  run_id  INTEGER,
  subject TEXT,
  detail  TEXT NOT NULL
);
CREATE INDEX audit_by_run ON audit_events(run_id);

-- A plain git repository's allowed signers (SSH allowed_signers format): with a row here, only
-- pushes whose head commit verifies against it are trusted.
CREATE TABLE repo_signers (
  repo       TEXT PRIMARY KEY REFERENCES repos(name),
  format     TEXT NOT NULL,
  signers    TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
