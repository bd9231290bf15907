import type { JobHelpers } from "graphile-worker";
import { insertEvent } from "../db/events.ts";
import { beatJobClock, JOB_CLOCK_BEAT_MS, startJobClock } from "../db/job-time.ts";
import { FINISHED, getRun, updateRun } from "../db/runs.ts";
import { isShutdown, PaulError, toPaulError } from "../errors.ts";
import type { JobPayload } from "../queue/catalog.ts";
import { runAnalysis } from "./analysis/index.ts";
import { runApproaches } from "./approaches/index.ts";
import { sweepFinishedRuns } from "./cleanup.ts";
import { type PhaseContext, phaseContext } from "./context.ts";
import type { Deps } from "./deps.ts";
import { runImplementation } from "./implementation/index.ts";
import { runJudging } from "./judging/index.ts";
import type { Phase } from "./phases.ts";
import { runPr } from "./pr/index.ts";
import { failRun } from "./run.ts";
import { settleBase } from "./setup.ts";

const HANDLERS: Record<Phase, (ctx: PhaseContext) => Promise<void>> = {
  analysis: runAnalysis,
  approaches: runApproaches,
  judging: runJudging,
  implementation: runImplementation,
  pr: runPr,
};

/**
 * The one catch boundary of a phase job. Retryable errors go back to the queue
 * while attempts remain; everything else is told to the user and ends the run.
 */
export async function runPhaseJob(
  deps: Deps,
  phase: Phase,
  payload: JobPayload<Phase>,
  helpers: Pick<JobHelpers, "job" | "abortSignal">,
): Promise<void> {
  const found = await getRun(deps.pool, payload.runId);
  if (!found || FINISHED.includes(found.status)) return;
  let run = found;
  await updateRun(deps.pool, run.id, { status: "running", phase });
  await insertEvent(deps.pool, run.id, "phase_started", { phase, revision: payload.revision });
  await guardJob(deps, run.id, phase, helpers, async (signal) => {
    run = await settleBase(deps, run);
    await HANDLERS[phase](phaseContext(deps, run, phase, payload.revision, signal));
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
  helpers: Pick<JobHelpers, "job" | "abortSignal">,
  body: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const signal = helpers.abortSignal ?? new AbortController().signal;
  // The run's wall-time budget counts the time its jobs work, nothing else.
  const clock = await startJobClock(deps.pool, runId);
  const beat = setInterval(
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
