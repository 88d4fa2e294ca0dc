-- Job outputs (moat-ctx output set KEY VALUE, issue 5): set by a running job over its ctx socket,
-- read by the jobs that need it, which get them as MOAT_NEEDS_<JOB>_<KEY> variables.
CREATE TABLE job_outputs (
  job_id     INTEGER NOT NULL REFERENCES jobs (id),
  key        TEXT    NOT NULL,
  value      TEXT    NOT NULL,
  updated_at BIGINT  NOT NULL,
  PRIMARY KEY (job_id, key)
);
