-- A run no longer carries any face's columns. It keeps where it came from
-- (origin: 'cli', 'slack', or whatever a new face calls itself) and an opaque
-- reference of that face's own (for Slack `channel/thread_ts`), which the
-- pipeline never reads; each face keeps its details in tables of its own.

alter table runs drop constraint if exists runs_origin_check;
alter table runs add column origin_ref text;

-- The thread that shows a Slack run. Written in the transaction that creates
-- the run, so a Slack run always has one.
create table slack_threads (
  run_id text primary key references runs (id) on delete cascade,
  channel text not null,
  thread_ts text not null,
  -- Its index takes the place of runs_slack_channel_idx: a channel's runs, and a run by its thread.
  constraint slack_threads_channel_thread unique (channel, thread_ts)
);

-- The message that asked a question in its run's thread; closed once its buttons are gone.
create table slack_cta_messages (
  cta_id bigint primary key references ctas (id) on delete cascade,
  channel text not null,
  ts text not null,
  closed boolean not null default false
);

-- Every Slack run Paul has created had both its channel and its thread (the
-- thread's root is posted before the run exists); a row with only one of them
-- could never be drawn, so it has nothing to carry over.
insert into slack_threads (run_id, channel, thread_ts)
select id, channel, thread_ts from runs
 where origin = 'slack' and channel is not null and thread_ts is not null;

update runs set origin_ref = channel || '/' || thread_ts
 where origin = 'slack' and channel is not null and thread_ts is not null;

-- message_ref was {channel, ts, closed?}; anything else was never read as a message.
insert into slack_cta_messages (cta_id, channel, ts, closed)
select id, message_ref->>'channel', message_ref->>'ts',
       coalesce(message_ref->'closed' = 'true'::jsonb, false)
  from ctas
 where jsonb_typeof(message_ref) = 'object'
   and jsonb_typeof(message_ref->'channel') = 'string'
   and jsonb_typeof(message_ref->'ts') = 'string';

drop index if exists runs_slack_channel_idx;
alter table runs drop column channel, drop column thread_ts;
alter table ctas drop column message_ref;
