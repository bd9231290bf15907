import { z } from "zod";
import type { Queryable } from "../db/pool.ts";

/**
 * The job catalog: every job Paul queues, its payload schema and its retry
 * policy. Task files in tasks/ and every enqueue go through it.
 */
const PhasePayload = z.object({ runId: z.string().min(1), revision: z.number().int().min(0) });

export const JOBS = {
  analysis: { payload: PhasePayload, maxAttempts: 3 },
  approaches: { payload: PhasePayload, maxAttempts: 3 },
  judging: { payload: PhasePayload, maxAttempts: 3 },
  implementation: { payload: PhasePayload, maxAttempts: 3 },
  pr: { payload: PhasePayload, maxAttempts: 5 },
} as const;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]["payload"]>;

export function jobKey<N extends JobName>(name: N, payload: JobPayload<N>): string {
  return `${payload.runId}:${name}:${payload.revision}`;
}

export function parsePayload<N extends JobName>(name: N, raw: unknown): JobPayload<N> {
  return JOBS[name].payload.parse(raw) as JobPayload<N>;
}

/**
 * Enqueue on the given connection, so a caller inside a transaction gets the
 * job only if its transaction commits. The job key dedupes: a phase that is
 * already queued or running is never queued twice.
 */
export async function enqueue<N extends JobName>(db: Queryable, name: N, payload: JobPayload<N>): Promise<void> {
  const parsed = JOBS[name].payload.parse(payload);
  await db.query(
    `select graphile_worker.add_job($1, $2::json, max_attempts := $3, job_key := $4, job_key_mode := 'unsafe_dedupe')`,
    [name, JSON.stringify(parsed), JOBS[name].maxAttempts, jobKey(name, payload)],
  );
}
