import type { Queryable } from "../../src/db/pool.ts";

/**
 * What a fault may not do to a run, read from the database: messages posted
 * twice (a phase's output, a question, the end) and runs that never finished.
 */
export async function duplicatePosts(db: Queryable, runId: string): Promise<number> {
  const r = await db.query<{ n: number }>(
    `select coalesce(sum(greatest(n - 1, 0)), 0)::int as n from (
       select count(*) as n from run_events where run_id = $1 and kind = 'phase_output'
        group by data->>'phase', data->>'revision'
       union all
       select count(*) from run_events where run_id = $1 and kind = 'cta_created' group by data->>'ctaId'
       union all
       select count(*) from run_events where run_id = $1 and kind = 'run_finished'

     ) t`,
    [runId],
  );
  return r.rows[0]?.n ?? 0;
}

/** Runs of these ids that are missing or did not end done. */
export async function runsLost(db: Queryable, ids: string[]): Promise<number> {
  const r = await db.query<{ n: number }>(
    "select count(*)::int as n from runs where id = any($1) and status = 'done'",
    [ids],
  );
  return ids.length - (r.rows[0]?.n ?? 0);
}
