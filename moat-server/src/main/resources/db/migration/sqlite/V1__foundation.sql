-- Foundation schema. Portable subset (SQLite and PostgreSQL): times are epoch millis, JSON is TEXT.

CREATE TABLE repos (
  name        TEXT PRIMARY KEY,
  path        TEXT NOT NULL,
  hook_secret TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);

-- Each webhook delivery id is stored once: a replayed delivery is refused.
CREATE TABLE deliveries (
  id          TEXT PRIMARY KEY,
  repo        TEXT NOT NULL,
  received_at BIGINT NOT NULL
);

CREATE TABLE runs (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  repo          TEXT NOT NULL REFERENCES repos(name),
  ref           TEXT NOT NULL,
  sha           TEXT NOT NULL,
  event         TEXT NOT NULL,
  workflow_file TEXT NOT NULL,
  workflow_name TEXT NOT NULL,
  status        TEXT NOT NULL,
  error         TEXT,
  created_at    BIGINT NOT NULL,
  finished_at   BIGINT
);

CREATE TABLE jobs (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id        INTEGER NOT NULL REFERENCES runs(id),
  job_key       TEXT NOT NULL,
  name          TEXT NOT NULL,
  state         TEXT NOT NULL,
  needs         TEXT NOT NULL,
  labels        TEXT NOT NULL,
  spec          TEXT NOT NULL,
  timeout_ms    BIGINT NOT NULL,
  agent_id      TEXT,
  exit_code     INTEGER,
  reason        TEXT,
  created_at    BIGINT NOT NULL,
  queued_at     BIGINT,
  started_at    BIGINT,
  finished_at   BIGINT,
  ack_deadline  BIGINT,
  lease_expires BIGINT,
  UNIQUE (run_id, job_key)
);
CREATE INDEX jobs_by_state ON jobs(state);
CREATE INDEX jobs_by_run ON jobs(run_id);

CREATE TABLE log_chunks (
  job_id INTEGER NOT NULL REFERENCES jobs(id),
  seq    BIGINT NOT NULL,
  data   TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
);

CREATE TABLE agents (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  pool            TEXT NOT NULL,
  labels          TEXT NOT NULL,
  credential_hash TEXT NOT NULL UNIQUE,
  created_at      BIGINT NOT NULL,
  last_seen       BIGINT
);

CREATE TABLE registration_tokens (
  hash       TEXT PRIMARY KEY,
  pool       TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at    BIGINT,
  used_by    TEXT
);

CREATE TABLE api_tokens (
  hash       TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
