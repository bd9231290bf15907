-- Workers say which process they are, so a worker on the same host whose
-- process is gone can be taken over at once instead of after the stale window.
alter table workers add column if not exists pid integer;

-- Jobs queued before every job carried its run's flag (their keys start with
-- the run id), so a `paul build` of another run leaves them alone. Only a
-- database that already has the queue can have such jobs.
do $$
begin
  if to_regclass('graphile_worker._private_jobs') is not null then
    update graphile_worker._private_jobs
       set flags = jsonb_build_object('run:' || split_part(key, ':', 1), true)
     where flags is null and key is not null;
  end if;
end $$;
