-- Workers say which process they are, so a worker on the same host whose
-- process is gone can be taken over at once instead of after the stale window.
alter table workers add column if not exists pid integer;
