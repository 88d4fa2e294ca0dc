-- GitHub repositories (issue 4, GitHub provider). A GitHub repository is also a row in repos (same
-- name), whose path is the server-side mirror that runs read source and workflows from; its
-- hook_secret there is random and never shown, so /hooks/git can't start runs on it.
CREATE TABLE github_repos (
  repo            TEXT PRIMARY KEY REFERENCES repos(name),
  owner           TEXT NOT NULL,
  name            TEXT NOT NULL,
  api_url         TEXT NOT NULL,
  clone_url       TEXT NOT NULL,
  webhook_secret  TEXT NOT NULL,
  token           TEXT,
  app_id          BIGINT,
  installation_id BIGINT,
  private_key     TEXT,
  created_at      BIGINT NOT NULL,
  UNIQUE (owner, name),
  CHECK ((token IS NOT NULL) <> (app_id IS NOT NULL))
);

-- Which runs came from GitHub, for which commit and pull request, and the last commit status posted
-- for each (so that a run's result is posted once when it ends).
CREATE TABLE github_runs (
  run_id     INTEGER PRIMARY KEY REFERENCES runs(id),
  repo       TEXT NOT NULL REFERENCES github_repos(repo),
  sha        TEXT NOT NULL,
  pr_number  BIGINT,
  posted     TEXT
);
CREATE INDEX github_runs_by_pr ON github_runs(repo, pr_number);
