-- Work after the pull request. A follow-up is a run of its own (its own
-- budget, tasks, attempts and questions) on an earlier run's branch: `kind`
-- says which flow of phases it goes through, `parent_run_id` which run's
-- branch and PR it continues, `request` what was asked and where from.
alter table runs add column kind text not null default 'build' check (kind in ('build', 'followup'));
alter table runs add column parent_run_id text references runs (id) on delete cascade;
alter table runs add column request jsonb;
create index runs_parent_idx on runs (parent_run_id, created_at) where parent_run_id is not null;

-- Every comment, review, thread reply or CI failure Paul has acted on, by a
-- key both webhooks and polling derive the same way (gh:comment:<id>, …):
-- the same event never starts two follow-ups.
create table followup_sources (
  key text primary key,
  parent_run_id text not null references runs (id) on delete cascade,
  run_id text references runs (id) on delete cascade,
  outcome text not null check (outcome in ('started', 'refused', 'ignored', 'noted')),
  detail text,
  created_at timestamptz not null default now()
);

-- The pull requests Paul watches after they open: ETags of the last poll,
-- and the CI state of the head commit it last looked at.
create table pr_watches (
  run_id text primary key references runs (id) on delete cascade,
  owner text not null,
  repo text not null,
  pr_number int not null,
  state text not null default 'watching' check (state in ('watching', 'closed')),
  etags jsonb not null default '{}',
  head_sha text,
  -- Per head commit: the checks re-run once as possibly flaky, and what was reported.
  ci jsonb not null default '{}',
  ci_rounds int not null default 0,
  polled_at timestamptz,
  -- The poll job chain's generation: a job of an older one stops, so a PR is polled by one chain.
  poll_gen int not null default 0,
  created_at timestamptz not null default now(),
  unique (owner, repo, pr_number)
);
