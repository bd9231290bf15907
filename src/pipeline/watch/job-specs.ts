import { z } from "zod";
import { SignalSchema } from "../../github/signals.ts";
import type { JobSpec } from "../../queue/jobs.ts";

/*
 * The jobs that watch a build's PR after it opens. Each belongs to the build
 * (its run id and flag), though the build itself is done: what they start
 * are follow-ups, runs of their own.
 */

export const GithubSignalPayload = z.object({ runId: z.string().min(1), signal: SignalSchema });
export type GithubSignalPayload = z.infer<typeof GithubSignalPayload>;

export const CiCheckPayload = z.object({
  runId: z.string().min(1),
  sha: z.string().min(7),
  /** What prompted the look (a delivery id, a poll): each event gets its own job; the decision is idempotent. */
  why: z.string().min(1),
});
export type CiCheckPayload = z.infer<typeof CiCheckPayload>;

export const PrPollPayload = z.object({ runId: z.string().min(1), gen: z.number().int().min(0) });
export type PrPollPayload = z.infer<typeof PrPollPayload>;

/** One job per comment or review: its key is the event's, so a redelivery queued twice runs once. */
export const GITHUB_SIGNAL: JobSpec<GithubSignalPayload> = {
  name: "github_signal",
  payload: GithubSignalPayload,
  maxAttempts: 5,
  key: (p) => p.signal.key,
};

/** The CI of one head commit looked at; queued again by every check event until it is all done. */
export const CI_CHECK: JobSpec<CiCheckPayload> = {
  name: "ci_check",
  payload: CiCheckPayload,
  maxAttempts: 5,
  key: (p) => `${p.sha}:${p.why}`,
};

/** One poll of a PR (no webhook secret): each queues the next, of the next generation. */
export const PR_POLL: JobSpec<PrPollPayload> = {
  name: "pr_poll",
  payload: PrPollPayload,
  maxAttempts: 3,
  key: (p) => String(p.gen),
};
