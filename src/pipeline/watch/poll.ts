import {
  activeWatches,
  getWatch,
  updateWatch,
  watchesAtSha,
  watchFor,
  watchPr,
} from "../../db/followups.ts";
import { withTransaction } from "../../db/pool.ts";
import { nextPollDelayMs, pollPull } from "../../github/poll.ts";
import type { Signal } from "../../github/signals.ts";
import { enqueue } from "../../queue/jobs.ts";
import type { Deps } from "../deps.ts";
import { CI_CHECK, GITHUB_SIGNAL, PR_POLL } from "./job-specs.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Something GitHub said about a repository (a webhook delivery, or an item a
 * poll found), queued as a job of the build whose PR it is about. Returns the
 * builds it concerns; none when Paul watches no such PR.
 */
export async function receiveSignal(deps: Deps, s: Signal, why: string): Promise<string[]> {
  const { pool } = deps;
  if (s.kind === "checks") {
    const watches = await watchesAtSha(pool, s.repo.owner, s.repo.name, s.sha);
    for (const w of watches) await enqueue(pool, CI_CHECK, { runId: w.run_id, sha: s.sha, why });
    return watches.map((w) => w.run_id);
  }
  const w = await watchFor(pool, s.repo.owner, s.repo.name, s.pr);
  if (!w || w.state !== "watching") return [];
  await enqueue(pool, GITHUB_SIGNAL, { runId: w.run_id, signal: s });
  return [w.run_id];
}

/**
 * One poll of a build's PR, with conditional requests (a 304 costs no rate
 * limit), and the next one queued at an interval that keeps every watched PR
 * within what the rate limit has left. A job of an older chain stops, so one
 * PR is never polled twice over; a PR closed, merged or older than
 * PAUL_WATCH_DAYS is no longer watched.
 */
export async function pollOnce(deps: Deps, buildId: string, gen: number): Promise<void> {
  const { pool, cfg } = deps;
  const w = await getWatch(pool, buildId);
  if (!w || w.state !== "watching" || w.poll_gen !== gen) return;
  if (Date.now() - w.created_at.getTime() > cfg.followup.watchDays * DAY_MS) {
    await updateWatch(pool, buildId, { state: "closed" });
    return;
  }
  const res = await pollPull(
    deps.github(),
    { owner: w.owner, repo: w.repo, number: w.pr_number },
    w.etags,
    w.head_sha ?? undefined,
  );
  for (const s of res.signals) {
    // The checks of the head this poll saw: this build's, whatever head the watch last stored.
    if (s.kind === "checks")
      await enqueue(pool, CI_CHECK, { runId: buildId, sha: s.sha, why: `poll:${gen}` });
    else await receiveSignal(deps, s, `poll:${gen}`);
  }
  const open = res.pull ? res.pull.state === "open" && !res.pull.merged : true;
  const watched = (await activeWatches(pool)).length;
  const delay = nextPollDelayMs(cfg.github.pollMs, res.rate, watched);
  await withTransaction(pool, async (tx) => {
    await updateWatch(tx, buildId, {
      etags: res.etags,
      polled_at: new Date(),
      poll_gen: gen + 1,
      ...(res.pull ? { head_sha: res.pull.headSha } : {}),
      ...(open ? {} : { state: "closed" as const }),
    });
    if (open) {
      await enqueue(
        tx,
        PR_POLL,
        { runId: buildId, gen: gen + 1 },
        { runAt: new Date(Date.now() + delay) },
      );
    }
  });
}

/** Queue the poll after `gen`, at the base interval (a poll that failed has no rate figures). */
export async function schedulePoll(deps: Deps, buildId: string, gen: number): Promise<void> {
  await withTransaction(deps.pool, async (tx) => {
    const w = await getWatch(tx, buildId);
    if (!w || w.state !== "watching" || w.poll_gen !== gen) return;
    await updateWatch(tx, buildId, { poll_gen: gen + 1 });
    await enqueue(
      tx,
      PR_POLL,
      { runId: buildId, gen: gen + 1 },
      {
        runAt: new Date(Date.now() + deps.cfg.github.pollMs),
      },
    );
  });
}

/**
 * Watch a build's PR from now on: store its head, and without a webhook
 * secret start the poll chain (its first poll one interval away, so a
 * terminal's `paul build` ends without waiting for it; a long-running
 * `paul worker` or `paul serve` takes it). Called in the transaction that
 * records the PR, and again after each follow-up's push.
 */
export async function watchPull(
  deps: Deps,
  tx: Parameters<typeof updateWatch>[0],
  w: { runId: string; owner: string; repo: string; prNumber: number; headSha: string },
): Promise<void> {
  const row = await watchPr(tx, w);
  await updateWatch(tx, w.runId, { head_sha: w.headSha });
  if (deps.cfg.github.webhookSecret) {
    await enqueue(
      tx,
      CI_CHECK,
      { runId: w.runId, sha: w.headSha, why: "opened" },
      {
        runAt: new Date(Date.now() + deps.cfg.github.pollMs),
      },
    );
    return;
  }
  await updateWatch(tx, w.runId, { poll_gen: row.poll_gen + 1 });
  await enqueue(
    tx,
    PR_POLL,
    { runId: w.runId, gen: row.poll_gen + 1 },
    {
      runAt: new Date(Date.now() + deps.cfg.github.pollMs),
    },
  );
}
