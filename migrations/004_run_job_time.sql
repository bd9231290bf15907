-- How long a run's jobs have been working, for its wall-time budget
-- (PAUL_BUDGET_MINUTES): one row per job execution, from its start to the
-- last moment it was seen working. Time spent waiting for a person, or queued
-- with no worker, falls in no row, so it never counts.
create table run_job_time (
  id bigserial primary key,
  run_id text not null references runs (id) on delete cascade,
  started_at timestamptz not null default now(),
  seen_at timestamptz not null default now(),
  ended boolean not null default false
);
create index run_job_time_run_idx on run_job_time (run_id);
