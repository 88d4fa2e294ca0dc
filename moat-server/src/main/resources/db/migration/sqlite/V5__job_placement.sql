-- Where each job may run, as the placement policy decided when its run was created (DESIGN §5):
-- the weakest sandbox tier it may run on, and the pools that may take it (a JSON list; NULL: any
-- pool, under the default policy). Jobs created before placement existed were trusted pushes on
-- any pool: bwrap and NULL.
ALTER TABLE jobs ADD COLUMN min_tier TEXT NOT NULL DEFAULT 'bwrap';
ALTER TABLE jobs ADD COLUMN pools TEXT;
