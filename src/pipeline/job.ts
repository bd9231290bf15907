import { insertEvent } from "../db/events.ts";
import { beatJobClock, JOB_CLOCK_BEAT_MS, startJobClock } from "../db/job-time.ts";
import { FINISHED, getRun, updateRun } from "../db/runs.ts";
import { isShutdown, PaulError, toPaulError } from "../errors.ts";
import { sweepFinishedRuns } from "./cleanup.ts";
import { phaseContext } from "./context.ts";
import type { Deps } from "./deps.ts";
import {
  type AnyJob,
  defineJob,
  type JobDef,
  type JobHelpersLike,
  type PhasePayload,
  phaseSpec,
} from "./jobs.ts";
import type { PhaseDef } from "./phase.ts";
import { failRun } from "./run.ts";
import { settleBase } from "./setup.ts";

/** The job that runs a phase: one per phase, keyed by its revision. */
export function phaseJob<N extends string, O>(def: PhaseDef<N, O>): JobDef<PhasePayload> & AnyJob {
  return defineJob({
    ...phaseSpec(def.name, def.maxAttempts),
    run: (deps, p, helpers) => runPhaseJob(deps, def, p, helpers),
  });
}

/**
 * The one catch boundary of a phase job. Retryable errors go back to the queue
 * while attempts remain; everything else is told to the user and ends the run.
 */
export async function runPhaseJob<N extends string, O>(
  deps: Deps,
  def: PhaseDef<N, O>,
  payload: PhasePayload,
  helpers: JobHelpersLike,
): Promise<void> {
  const phase = def.name;
  const found = await getRun(deps.pool, payload.runId);
  if (!found || FINISHED.includes(found.status)) return;
  let run = found;
  await updateRun(deps.pool, run.id, { status: "running", phase });
  await insertEvent(deps.pool, run.id, "phase_started", { phase, revision: payload.revision });
  await guardJob(deps, run.id, phase, helpers, async (signal) => {
    run = await settleBase(deps, run);
    await def.run(phaseContext(deps, run, def, payload.revision, signal));
  });
}

/**
 * The catch boundary itself, shared with the jobs that continue a phase
 * (implementation tasks): retryable errors go back to the queue while
 * attempts remain; everything else ends the run with a message for the user.
 */
export async function guardJob(
  deps: Deps,
  runId: string,
  phase: string,
  helpers: JobHelpersLike,
  body: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const signal = helpers.abortSignal ?? new AbortController().signal;
  // The run's wall-time budget counts the time its jobs work, nothing else.
  const clock = await startJobClock(deps.pool, runId);
  const beat = setInterval(
    // A missed beat (the database is away) loses nothing: the next beat, or the
    // final one below, records the time worked up to then.
    () => void beatJobClock(deps.pool, clock).catch(() => {}),
    JOB_CLOCK_BEAT_MS,
  );
  try {
    await body(signal);
  } catch (e) {
    // Paul is stopping: the job goes back to the queue untouched, the run waits.
    if (isShutdown(signal)) throw e;
    const err = toPaulError(e);
    const attemptsLeft = helpers.job.attempts < helpers.job.max_attempts;
    if (err.retryable && attemptsLeft) {
      await insertEvent(deps.pool, runId, "retrying", {
        phase,
        message: deps.cfg.redact(err.message),
        attempt: helpers.job.attempts,
      });
      throw err;
    }
    await failRun(
      deps.pool,
      runId,
      withNextStep(err, runId, helpers.job.attempts),
      phase,
      deps.cfg.redact,
    );
  } finally {
    clearInterval(beat);
    // Unrecorded, the job's last seconds are at most one beat; the run itself is unaffected.
    await beatJobClock(deps.pool, clock, true).catch(() => {});
    // Housekeeping: a sweep that fails is tried again at the next job's end.
    await sweepFinishedRuns(deps).catch(() => {});
  }
}

/**
 * The error as the user reads it when the run stops: what is wrong, and what
 * happens next. Nothing retries a failed run by itself, so a temporary
 * problem's last word says Paul has stopped and how to continue.
 */
export function withNextStep(err: PaulError, runId: string, attempts: number): PaulError {
  const resume = `\`paul resume ${runId}\``;
  const next = err.retryable
    ? `Paul tried ${attempts === 1 ? "once" : `${attempts} times`} and has stopped the run; when that is resolved, ${resume} continues it`
    : /paul resume/.test(err.hint ?? "")
      ? undefined
      : `the run has stopped; when that is fixed, ${resume} continues it`;
  if (!next) return err;
  const hint = err.hint ? `${err.hint}\n→ ${next}` : next;
  return new PaulError(err.code, err.message, { hint, cause: err });
}
