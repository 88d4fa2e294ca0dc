-- Issue 5, part "store": sealed secret values, environments and their protection rules, key
-- rotations, and each job's environment binding.

-- One sealed value per (scope, name): scope is 'global', 'repo:NAME' or 'env:NAME'. The plaintext is
-- never stored: iv and ciphertext are AES-256-GCM under the master key of key_version, with the
-- scope, the name and the key version as additional data (invariant I7). version counts the sets.
CREATE TABLE secrets (
  scope       TEXT NOT NULL,
  name        TEXT NOT NULL,
  key_version INTEGER NOT NULL,
  iv          BLOB NOT NULL,
  ciphertext  BLOB NOT NULL,
  version     INTEGER NOT NULL,
  created_at  BIGINT NOT NULL,
  created_by  TEXT NOT NULL,
  updated_at  BIGINT NOT NULL,
  updated_by  TEXT NOT NULL,
  PRIMARY KEY (scope, name)
);
CREATE INDEX secrets_by_key ON secrets(key_version);

-- Progress of each key rotation: resealed counts the values moved to to_version so far; finished_at
-- is set once no value is sealed with another key.
CREATE TABLE key_rotations (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  to_version  INTEGER NOT NULL,
  started_at  BIGINT NOT NULL,
  started_by  TEXT NOT NULL,
  resealed    INTEGER NOT NULL DEFAULT 0,
  finished_at BIGINT
);

-- An environment binds secret scopes (a JSON list; its own env:NAME is always bound) and carries
-- protection rules: allowed branches (JSON list of globs; empty: any), the least trust tier, how
-- many reviewers must approve (0 or 1) and how long a job waits once queued.
CREATE TABLE environments (
  name       TEXT PRIMARY KEY,
  scopes     TEXT NOT NULL,
  branches   TEXT NOT NULL,
  min_trust  TEXT NOT NULL,
  reviewers  INTEGER NOT NULL,
  wait_ms    BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL
);

-- The environment a job opted into (environment: NAME), its wait timer, and the earliest time an
-- agent may take it (set when the job is first queued: queued time + wait).
ALTER TABLE jobs ADD COLUMN environment TEXT;
ALTER TABLE jobs ADD COLUMN wait_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN not_before BIGINT;
