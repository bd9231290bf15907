import type { JobHelpers } from "graphile-worker";
import { z } from "zod";
import type { JobSpec } from "../queue/jobs.ts";
import type { Deps } from "./deps.ts";

export type JobHelpersLike = Pick<JobHelpers, "job" | "abortSignal">;

/** A job kind with its handler: the payload reaches `run` parsed. */
export interface JobDef<P extends { runId: string }> extends JobSpec<P> {
  run(deps: Deps, payload: P, helpers: JobHelpersLike): Promise<void>;
}

/** A job kind with its payload type erased, for the task list: it parses what the queue hands it. */
export interface AnyJob {
  name: string;
  maxAttempts: number;
  handle(deps: Deps, raw: unknown, helpers: JobHelpersLike): Promise<void>;
}

export function defineJob<P extends { runId: string }>(def: JobDef<P>): JobDef<P> & AnyJob {
  return { ...def, handle: (deps, raw, helpers) => def.run(deps, def.payload.parse(raw), helpers) };
}

export const PhasePayload = z.object({
  runId: z.string().min(1),
  revision: z.number().int().min(0),
});
export type PhasePayload = z.infer<typeof PhasePayload>;

/**
 * The queue's view of a phase's job. A phase that hands over to the next one
 * without a question (a follow-up's request, its implementation) queues the
 * next one by this spec, which its schema.ts exports: phase modules may not
 * import the registry.
 */
export function phaseSpec(name: string, maxAttempts: number): JobSpec<PhasePayload> {
  return { name, payload: PhasePayload, maxAttempts, key: (p) => String(p.revision) };
}
