-- Paul's own tables. Append-only: change the schema with a new numbered file.

create table runs (
  id text primary key,
  feature text not null,
  repo_spec text not null,
  repo_url text not null,
  repo_key text not null,
  base_branch text not null,
  base_commit text,
  status text not null default 'running'
    check (status in ('running', 'waiting', 'paused', 'done', 'failed', 'cancelled')),
  phase text not null default 'analysis',
  origin text not null default 'cli' check (origin in ('cli', 'slack')),
  requester text not null,
  channel text,
  thread_ts text,
  budget_usd numeric not null,
  budget_tokens bigint not null,
  gates jsonb,
  branch text,
  pr_url text,
  pr_number int,
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
create index runs_created_idx on runs (created_at desc);

-- One row per phase execution; a Revise re-runs the phase as a new revision.
create table phase_results (
  id bigserial primary key,
  run_id text not null references runs (id) on delete cascade,
  phase text not null,
  revision int not null,
  output jsonb not null,
  created_at timestamptz not null default now(),
  unique (run_id, phase, revision)
);

create table ctas (
  id bigserial primary key,
  run_id text not null references runs (id) on delete cascade,
  phase text not null,
  revision int not null,
  kind text not null,
  prompt text not null,
  options jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'resolved', 'cancelled')),
  decision jsonb,
  decided_by text,
  decided_at timestamptz,
  message_ref jsonb,
  created_at timestamptz not null default now()
);
-- At most one open question per run.
create unique index ctas_one_pending on ctas (run_id) where status = 'pending';
create unique index ctas_once_per_phase on ctas (run_id, phase, revision, kind);

create table memories (
  id bigserial primary key,
  run_id text references runs (id) on delete cascade,
  repo_key text not null,
  scope text not null check (scope in ('run', 'repo')),
  kind text not null,
  phase text,
  content text not null,
  author text,
  created_at timestamptz not null default now()
);
create index memories_run_idx on memories (run_id);
create index memories_repo_idx on memories (repo_key) where scope = 'repo';

create table impl_tasks (
  id bigserial primary key,
  run_id text not null references runs (id) on delete cascade,
  task_key text not null,
  title text not null,
  description text not null,
  files jsonb not null default '[]',
  size text not null,
  depends_on jsonb not null default '[]',
  conditions jsonb not null default '[]',
  wave int not null default 0,
  status text not null default 'pending'
    check (status in ('pending', 'in_progress', 'validating', 'merged', 'abandoned', 'conflict', 'failed', 'skipped', 'paused')),
  start_commit text,
  result_commit text,
  summary text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (run_id, task_key)
);

create table coder_attempts (
  id bigserial primary key,
  run_id text not null references runs (id) on delete cascade,
  task_id bigint not null references impl_tasks (id) on delete cascade,
  attempt_no int not null,
  model text not null,
  status text not null default 'running'
    check (status in ('running', 'passed', 'failed', 'agent_error', 'discarded')),
  start_commit text not null,
  result_commit text,
  files_touched jsonb not null default '[]',
  summary text,
  prompt text,
  failure jsonb,
  ended_reason text,
  started_at timestamptz not null default now(),
  finished_at timestamptz
);
create index coder_attempts_task_idx on coder_attempts (task_id);

create table gate_results (
  id bigserial primary key,
  run_id text not null references runs (id) on delete cascade,
  attempt_id bigint references coder_attempts (id) on delete cascade,
  scope text not null default 'attempt',
  gate text not null,
  status text not null check (status in ('passed', 'failed')),
  command text not null,
  output text not null,
  duration_ms int not null,
  created_at timestamptz not null default now()
);
create index gate_results_run_idx on gate_results (run_id);

create table llm_usage (
  id bigserial primary key,
  run_id text references runs (id) on delete cascade,
  phase text not null,
  role text not null,
  model text not null,
  input_tokens int not null,
  output_tokens int not null,
  cache_read_tokens int not null default 0,
  cache_write_tokens int not null default 0,
  cost_usd numeric(12, 6) not null,
  latency_ms int not null,
  created_at timestamptz not null default now()
);
create index llm_usage_run_idx on llm_usage (run_id);

-- What the terminal and Slack show: every notification of a run, in order.
create table run_events (
  id bigserial primary key,
  run_id text not null references runs (id) on delete cascade,
  kind text not null,
  data jsonb not null,
  created_at timestamptz not null default now()
);
create index run_events_run_idx on run_events (run_id, id);

-- Heartbeats, so a worker that died can have its jobs unlocked by another.
create table workers (
  id text primary key,
  host text not null,
  last_seen timestamptz not null default now()
);
