import type { z } from "zod";
import type { Queryable } from "../db/pool.ts";

/**
 * A kind of job as the queue sees it: name, payload schema, retry policy and
 * key. The catalog of Paul's jobs is derived from the phase registry
 * (src/pipeline/phases.ts); this module only knows how graphile-worker stores them.
 */
export interface JobSpec<P extends { runId: string }> {
  name: string;
  payload: z.ZodType<P>;
  maxAttempts: number;
  /** What makes one job of this kind distinct within its run (a revision, a task and generation). */
  key(payload: P): string;
}

/**
 * The job's key. Every key starts with the run id, so a run's jobs are found
 * (cancelled, revived) by that prefix.
 */
export function jobKey<P extends { runId: string }>(spec: JobSpec<P>, payload: P): string {
  return `${payload.runId}:${spec.name}:${spec.key(payload)}`;
}

/** Every job carries its run's flag, so a worker can be told to serve one run only. */
export function runFlag(runId: string): string {
  return `run:${runId}`;
}

/**
 * Enqueue on the given connection, so a caller inside a transaction gets the
 * job only if its transaction commits. The job key dedupes: a job that is
 * already queued or running is never queued twice.
 */
export async function enqueue<P extends { runId: string }>(
  db: Queryable,
  spec: JobSpec<P>,
  payload: P,
  o: { runAt?: Date } = {},
): Promise<void> {
  const parsed = spec.payload.parse(payload);
  await db.query(
    `select graphile_worker.add_job($1, $2::json, max_attempts := $3, job_key := $4, job_key_mode := 'unsafe_dedupe', flags := array[$5], run_at := coalesce($6::timestamptz, now()))`,
    [
      spec.name,
      JSON.stringify(parsed),
      spec.maxAttempts,
      jobKey(spec, parsed),
      runFlag(parsed.runId),
      o.runAt?.toISOString() ?? null,
    ],
  );
}

/** A cancelled run's queued jobs would only find it cancelled; they are dropped with the decision. */
export async function dropQueuedJobs(tx: Queryable, runId: string): Promise<void> {
  await tx.query(
    "delete from graphile_worker._private_jobs where locked_at is null and key like $1",
    [`${runId}:%`],
  );
}

/**
 * Make a run's jobs runnable again for `paul resume`: a job whose worker died
 * on its last attempt would otherwise never run again. Says whether the run
 * has any job left in the queue.
 */
export async function reviveJobs(tx: Queryable, runId: string): Promise<{ queued: boolean }> {
  await tx.query(
    "update graphile_worker._private_jobs set max_attempts = greatest(max_attempts, attempts + 1) where key like $1",
    [`${runId}:%`],
  );
  const queued = await tx.query("select 1 from graphile_worker._private_jobs where key like $1", [
    `${runId}:%`,
  ]);
  return { queued: (queued.rowCount ?? 0) > 0 };
}
