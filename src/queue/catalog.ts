import { z } from "zod";
import type { Queryable } from "../db/pool.ts";

/**
 * The job catalog: every job Paul queues, its payload schema, its retry policy
 * and its key. Task files in tasks/ and every enqueue go through it. Every key
 * starts with the run id: cancelling a run drops its queued jobs by that prefix.
 */
const PhasePayload = z.object({ runId: z.string().min(1), revision: z.number().int().min(0) });
const phaseKey = (name: string) => (p: z.infer<typeof PhasePayload>) =>
  `${p.runId}:${name}:${p.revision}`;
const phase = (name: string, maxAttempts: number) => ({
  payload: PhasePayload,
  maxAttempts,
  key: phaseKey(name),
});

/** One implementation task; a retry from a pause is a new generation, so a new job. */
const TaskPayload = z.object({
  runId: z.string().min(1),
  taskKey: z.string().min(1),
  generation: z.number().int().min(0),
});
/** The full gates on the feature branch after the last wave, then the phase's result. */
const FinishPayload = z.object({ runId: z.string().min(1), generation: z.number().int().min(0) });

export const JOBS = {
  analysis: phase("analysis", 3),
  approaches: phase("approaches", 3),
  judging: phase("judging", 3),
  implementation: phase("implementation", 3),
  pr: phase("pr", 5),
  impl_task: {
    payload: TaskPayload,
    maxAttempts: 3,
    key: (p: z.infer<typeof TaskPayload>) => `${p.runId}:impl_task:${p.taskKey}:${p.generation}`,
  },
  impl_finish: {
    payload: FinishPayload,
    maxAttempts: 3,
    key: (p: z.infer<typeof FinishPayload>) => `${p.runId}:impl_finish:${p.generation}`,
  },
} as const;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]["payload"]>;

export function jobKey<N extends JobName>(name: N, payload: JobPayload<N>): string {
  return (JOBS[name].key as (p: JobPayload<N>) => string)(payload);
}

/** Every job carries its run's flag, so a worker can be told to serve one run only. */
export function runFlag(runId: string): string {
  return `run:${runId}`;
}

export function parsePayload<N extends JobName>(name: N, raw: unknown): JobPayload<N> {
  return JOBS[name].payload.parse(raw) as JobPayload<N>;
}

/**
 * Enqueue on the given connection, so a caller inside a transaction gets the
 * job only if its transaction commits. The job key dedupes: a job that is
 * already queued or running is never queued twice.
 */
export async function enqueue<N extends JobName>(
  db: Queryable,
  name: N,
  payload: JobPayload<N>,
): Promise<void> {
  const parsed = JOBS[name].payload.parse(payload);
  await db.query(
    `select graphile_worker.add_job($1, $2::json, max_attempts := $3, job_key := $4, job_key_mode := 'unsafe_dedupe', flags := array[$5])`,
    [
      name,
      JSON.stringify(parsed),
      JOBS[name].maxAttempts,
      jobKey(name, payload),
      runFlag(parsed.runId),
    ],
  );
}
