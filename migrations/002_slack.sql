-- Slack: each channel's default repository, and how far each run's thread has been rendered.

create table slack_channel_repos (
  channel text primary key,
  repo text not null,
  base_branch text,
  set_by text not null,
  set_at timestamptz not null default now()
);

-- The last run_events id the Slack notifier has shown in the run's thread, so a
-- restarted `paul serve` neither reposts a message nor misses one.
create table slack_cursors (
  run_id text primary key references runs (id) on delete cascade,
  event_id bigint not null default 0,
  updated_at timestamptz not null default now()
);

create index runs_slack_channel_idx on runs (channel, created_at desc) where origin = 'slack';
create index runs_requester_idx on runs (requester, created_at desc);
