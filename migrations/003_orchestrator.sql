-- The implementation orchestrator: a plan of tasks in waves, carried between
-- workers by Postgres (this state) and the git remote (refs/paul/<run>/…).

-- One row per run that reached implementation. Its row lock serialises
-- everything that moves the run forward: merges, advancing waves, pauses.
create table impl_plans (
  run_id text primary key references runs (id) on delete cascade,
  -- The implementation phase revision whose result and question close the phase.
  revision int not null,
  base_commit text not null,
  -- The feature branch as merged so far; refs/paul/<run>/feature on the remote
  -- always has this commit in its history.
  feature_commit text not null,
  wave int not null default 1,
  -- Tasks of one wave in flight at once, fixed when the plan is made so any
  -- worker (or a CTA decision) advances the run the same way.
  concurrency int not null,
  stage text not null default 'waves' check (stage in ('waves', 'finishing', 'done')),
  -- Bumped each time the integration gates are queued; keys the finish job.
  finish_gen int not null default 0,
  -- The last integration gate run on the feature branch: { commit, passed, results }.
  integration jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

alter table impl_tasks
  add column kind text not null default 'task' check (kind in ('task', 'fix')),
  -- Bumped when a person retries the task from a pause: attempts are counted
  -- per generation, and its job key carries it so a retry is a new job.
  add column generation int not null default 0,
  add column max_attempts int not null default 5,
  -- Why the task ended as it did (abandoned, skipped, blocked, conflict, paused).
  add column reason text,
  add column started_at timestamptz,
  add column finished_at timestamptz;

alter table impl_tasks drop constraint impl_tasks_status_check;
alter table impl_tasks add constraint impl_tasks_status_check check (status in (
  'pending', 'queued', 'in_progress', 'validating', 'merged', 'abandoned', 'conflict', 'failed',
  'skipped', 'blocked', 'paused'));

alter table coder_attempts
  add column generation int not null default 0,
  -- The coder's model calls of this attempt: { calls, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUsd }.
  add column usage jsonb,
  -- The reviewer's verdict on a passing attempt of an M+ task.
  add column review jsonb;

-- A pause is about one task, or (task_key null) about a whole wave.
alter table ctas
  add column task_key text,
  add column wave int;
