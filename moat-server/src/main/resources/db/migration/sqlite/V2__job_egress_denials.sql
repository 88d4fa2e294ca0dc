-- Connections out of a job's sandbox that its pool's egress policy refused (DESIGN I4), as the
-- agent reported them with the job's result. 0 for jobs that ran before this column existed.
ALTER TABLE jobs ADD COLUMN egress_denials BIGINT NOT NULL DEFAULT 0;
