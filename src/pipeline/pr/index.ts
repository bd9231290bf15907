import { withTransaction } from "../../db/pool.ts";
import { updateRun } from "../../db/runs.ts";
import { usageTotals } from "../../db/usage.ts";
import { openOrReusePullRequest } from "../../github/pulls.ts";
import { fetchRef, pushRef } from "../../workspace/push.ts";
import { mirrorWith } from "../../workspace/repo.ts";
import { ANALYSIS } from "../analysis/schema.ts";
import { pursuedApproach } from "../approaches/choice.ts";
import type { PhaseContext } from "../context.ts";
import { IMPLEMENTATION } from "../implementation/schema.ts";
import { featureRef } from "../implementation/workspace.ts";
import { JUDGING } from "../judging/schema.ts";
import { definePhase } from "../phase.ts";
import { WATCH_JOBS } from "../watch/jobs.ts";
import { watchPull } from "../watch/poll.ts";
import { renderPullRequestBody, renderPullRequestTitle } from "./prompt.ts";
import { renderPr } from "./render.ts";
import { PR, type PrResult } from "./schema.ts";

export const pr = definePhase({
  ...PR,
  title: "Pull request",
  maxAttempts: 5,
  numbering: "questions",
  asks: [],
  run: runPr,
  // Once the PR is open: its comments, reviews and CI, watched for follow-ups.
  jobs: WATCH_JOBS,
  render: renderPr,
});

/** Push Paul's branch and, on GitHub, open (or reuse) the pull request. */
async function runPr(ctx: PhaseContext<PrResult>): Promise<void> {
  const { cfg, pool } = ctx.deps;
  const impl = await ctx.output(IMPLEMENTATION);
  const repo = ctx.repo();
  const auth = cfg.github.token ? { token: cfg.github.token } : undefined;
  const mirror = await mirrorWith(repo, cfg.workDir, null, auth);
  // The result may have been produced on another machine: take it from the remote.
  const local = `refs/paul/${ctx.run.id}/pr`;
  await fetchRef(mirror, repo.url, featureRef(ctx.run.id), local, auth);
  await ctx.progress(`pushing ${impl.branch}`);
  const pushed = await pushRef(mirror, local, `refs/heads/${impl.branch}`, {
    remoteUrl: repo.url,
    baseBranch: ctx.run.base_branch,
    auth,
    force: true,
  });

  let result: PrResult;
  if (repo.github) {
    const analysis = await ctx.output(ANALYSIS);
    const judging = await ctx.output(JUDGING);
    const { approach } = await pursuedApproach(pool, ctx.run.id);
    const usage = await usageTotals(pool, ctx.run.id);
    const body = renderPullRequestBody(
      {
        feature: ctx.run.feature,
        requester: ctx.run.requester,
        runId: ctx.run.id,
        analysisSummary: analysis.summary,
        approach,
        conditions: judging.conditions.map((text) => ({
          text,
          ...(impl.conditionsAddressed.includes(text)
            ? {
                addressedBy:
                  "addressed by the implementation (reported by the coder, gates passed)",
              }
            : {}),
        })),
        gates: impl.gateResults,
        totalCoderAttempts: impl.totalCoderAttempts,
        costUsd: usage.costUsd,
        tokens: usage.tokens,
        filesChanged: impl.filesChanged,
      },
      cfg.redact,
    );
    const pr = await openOrReusePullRequest(ctx.deps.github(), {
      owner: repo.github.owner,
      repo: repo.github.name,
      head: impl.branch,
      base: ctx.run.base_branch,
      title: renderPullRequestTitle(ctx.run.feature),
      body,
    });
    await withTransaction(pool, async (tx) => {
      await updateRun(tx, ctx.run.id, { pr_url: pr.url, pr_number: pr.number });
      if (repo.github) {
        await watchPull(ctx.deps, tx, {
          runId: ctx.run.id,
          owner: repo.github.owner,
          repo: repo.github.name,
          prNumber: pr.number,
          headSha: pushed.commit,
        });
      }
    });
    result = {
      branch: impl.branch,
      pushed: true,
      url: pr.url,
      number: pr.number,
      reused: pr.reused,
      message: `${pr.reused ? "Updated the existing" : "Opened"} pull request #${pr.number}: ${pr.url}`,
    };
  } else {
    result = {
      branch: impl.branch,
      pushed: true,
      message: `Pushed branch ${impl.branch} to ${repo.spec}. This remote is not GitHub, so no pull request was opened: open one from that branch yourself.`,
    };
  }
  await ctx.complete(result, { finish: "done", message: result.message });
}
