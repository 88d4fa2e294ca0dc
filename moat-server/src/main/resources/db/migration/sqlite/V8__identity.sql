-- Job credentials (DESIGN I9): one per job, for its latest dispatch (a new claim replaces the old one,
-- so a credential of a dispatch that went back to the queue never revives). Only the SHA-256 is
-- stored; the credential is valid only while its job is dispatched or running on the agent it was
-- minted for. The pool and sandbox tier the job was claimed on are what its ID tokens claim.
CREATE TABLE job_credentials (
  job_id       INTEGER PRIMARY KEY REFERENCES jobs(id),
  hash         TEXT NOT NULL UNIQUE,
  agent_id     TEXT NOT NULL,
  pool         TEXT NOT NULL,
  sandbox_tier TEXT NOT NULL,
  created_at   BIGINT NOT NULL
);

-- The labels a registration token grants (a JSON list), which the agent's labels must stay within.
-- NULL: tokens made before grants, and tokens made without labels, grant what the agent asks for.
ALTER TABLE registration_tokens ADD COLUMN labels TEXT;
