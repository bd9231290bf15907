import { insertEvent } from "../../db/events.ts";
import { isShutdown, toPaulError } from "../../errors.ts";
import type { Deps } from "../deps.ts";
import { defineJob, type JobHelpersLike } from "../jobs.ts";
import { checkCi } from "./ci.ts";
import { onWorkSignal } from "./intake.ts";
import { CI_CHECK, GITHUB_SIGNAL, PR_POLL } from "./job-specs.ts";
import { pollOnce, schedulePoll } from "./poll.ts";

/**
 * The catch boundary of the watch jobs. Their build is done, so nothing here
 * fails it: a temporary problem (GitHub 5xx, rate limit, the database away)
 * goes back to the queue while tries remain; anything else is told on the
 * build's event stream, one line, and the job ends.
 */
async function watchBoundary(
  deps: Deps,
  runId: string,
  what: string,
  helpers: JobHelpersLike,
  body: () => Promise<unknown>,
  onGiveUp?: () => Promise<void>,
): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (isShutdown(helpers.abortSignal)) throw e;
    const err = toPaulError(e);
    if (err.retryable && helpers.job.attempts < helpers.job.max_attempts) throw err;
    await onGiveUp?.();
    await insertEvent(deps.pool, runId, "progress", {
      phase: "pr",
      message: deps.cfg.redact(`${what} failed: ${err.toUserText()}`),
    });
  }
}

/** The jobs that watch a build's PR once it is open; part of the PR phase. */
export const WATCH_JOBS = [
  defineJob({
    ...GITHUB_SIGNAL,
    run: (deps, p, helpers) =>
      watchBoundary(deps, p.runId, `acting on ${p.signal.key}`, helpers, () =>
        p.signal.kind === "checks"
          ? checkCi(deps, p.runId, p.signal.sha)
          : onWorkSignal(deps, p.runId, p.signal),
      ),
  }),
  defineJob({
    ...CI_CHECK,
    run: (deps, p, helpers) =>
      watchBoundary(deps, p.runId, `checking CI of ${p.sha.slice(0, 7)}`, helpers, () =>
        checkCi(deps, p.runId, p.sha),
      ),
  }),
  defineJob({
    ...PR_POLL,
    run: (deps, p, helpers) =>
      watchBoundary(
        deps,
        p.runId,
        "polling the pull request",
        helpers,
        () => pollOnce(deps, p.runId, p.gen),
        // A poll that gave up must not end the watch: the next one is queued all the same.
        () => schedulePoll(deps, p.runId, p.gen),
      ),
  }),
];
