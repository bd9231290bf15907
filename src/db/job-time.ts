import type { Queryable } from "./pool.ts";
import { oneRow } from "./rows.ts";

/**
 * A row that is not ended and was seen this recently is a job still working
 * (its clock runs to now); an older one is a job whose worker died, counted
 * up to its last heartbeat.
 */
export const JOB_CLOCK_BEAT_MS = 10_000;
const LIVE_WITHIN = "30 seconds";

export async function startJobClock(db: Queryable, runId: string): Promise<string> {
  const r = await db.query<{ id: string }>(
    "insert into run_job_time (run_id) values ($1) returning id",
    [runId],
  );
  return oneRow(r, "insert into run_job_time").id;
}

export async function beatJobClock(db: Queryable, id: string, ended = false): Promise<void> {
  await db.query("update run_job_time set seen_at = now(), ended = ended or $2 where id = $1", [
    id,
    ended,
  ]);
}

/**
 * Seconds during which at least one of the run's jobs was working: the union
 * of the jobs' intervals, so tasks running side by side count once.
 */
export async function activeSeconds(db: Queryable, runId: string): Promise<number> {
  const r = await db.query<{ s: string | null }>(
    `with iv as (
       select started_at as s,
              case when not ended and seen_at > now() - interval '${LIVE_WITHIN}' then now() else seen_at end as e
       from run_job_time where run_id = $1
     ), marked as (
       select s, e, max(e) over (order by s, e rows between unbounded preceding and 1 preceding) as prev_end
       from iv
     ), grouped as (
       select s, e, sum(case when prev_end is null or s > prev_end then 1 else 0 end) over (order by s, e) as g
       from marked
     )
     select sum(extract(epoch from (e - s))) as s
     from (select min(s) as s, max(e) as e from grouped group by g) islands`,
    [runId],
  );
  return Number(r.rows[0]?.s ?? 0);
}
