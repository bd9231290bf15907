import { claimSource } from "../../db/followups.ts";
import { getPhaseResult } from "../../db/phases.ts";
import { getPlan } from "../../db/plans.ts";
import { withTransaction } from "../../db/pool.ts";
import { listFollowups, requireRun } from "../../db/runs.ts";
import { usageTotals } from "../../db/usage.ts";
import { invariant, isPaulError, PaulError } from "../../errors.ts";
import {
  getPull,
  postPrComment,
  replyToReviewComment,
  updatePullBody,
} from "../../github/feedback.ts";
import { fetchRef, pushRef } from "../../workspace/push.ts";
import { isAncestor, rebaseOnto } from "../../workspace/worktree.ts";
import type { PhaseContext } from "../context.ts";
import { IMPLEMENTATION, type ImplementationOutput } from "../implementation/schema.ts";
import { ensureCommit, featureRef, openRunGit, worktreeAt } from "../implementation/workspace.ts";
import { definePhase, readOutput } from "../phase.ts";
import { REQUEST, type RequestOutput } from "../request/schema.ts";
import { describeRequest } from "../request/work.ts";
import { watchPull } from "../watch/poll.ts";
import { type FollowupLine, followupsSection, withFollowups } from "./body.ts";
import { renderPush } from "./render.ts";
import { PUSH, PUSH_JOB, type PushResult } from "./schema.ts";

/**
 * A follow-up's last phase: its result onto Paul's branch, never over
 * anyone's commits. A branch that moved since the follow-up started is
 * rebased onto first; the push itself is never forced, so a branch that moves
 * again in between fails the push and the job tries again from the top.
 */
export const push = definePhase({
  ...PUSH,
  title: "Push",
  maxAttempts: PUSH_JOB.maxAttempts,
  numbering: "questions",
  asks: [],
  run: runPush,
  render: renderPush,
});

async function runPush(ctx: PhaseContext<PushResult>): Promise<void> {
  const { pool, cfg } = ctx.deps;
  const f = await ctx.output(REQUEST);
  const impl = await ctx.output(IMPLEMENTATION);
  const parent = await requireRun(pool, f.parentRunId);
  const plan = await getPlan(pool, ctx.run.id);
  invariant(plan && ctx.run.base_commit, `follow-up ${ctx.run.id} reached push with no plan`);
  const g = await openRunGit(cfg, ctx.run);
  await ensureCommit(g, plan.feature_commit, featureRef(ctx.run.id));
  const remote = await fetchRef(
    g.mirror,
    g.repo.url,
    `refs/heads/${f.branch}`,
    `refs/paul/${ctx.run.id}/branch`,
    g.auth,
  );
  if (!remote) {
    throw new PaulError("push_refused", `Branch ${f.branch} is gone from ${g.repo.spec}.`, {
      hint: "it was deleted (the PR merged or closed?); start a new run with paul build",
    });
  }
  let commit = plan.feature_commit;
  let rebasedOnto: string | undefined;
  if (await isAncestor(g.mirror, plan.feature_commit, remote)) {
    // Pushed already, by an earlier try of this job.
    commit = remote;
  } else if (!(await isAncestor(g.mirror, remote, plan.feature_commit))) {
    const { dir } = await worktreeAt(g, "merge", plan.feature_commit);
    const rebased = await rebaseOnto(dir, remote, ctx.run.base_commit);
    if (!rebased.ok) {
      throw new PaulError(
        "push_refused",
        `Someone pushed to ${f.branch} while this follow-up ran, and its change conflicts with theirs in ${rebased.conflicts.join(", ")}. Nothing was pushed; their commits are untouched.`,
        { hint: "ask again (a new follow-up starts from the branch as it is now)" },
      );
    }
    commit = rebased.commit;
    rebasedOnto = remote;
  }
  if (commit !== remote) {
    await ctx.progress(`pushing ${commit.slice(0, 7)} to ${f.branch}`);
    await pushRef(g.mirror, commit, `refs/heads/${f.branch}`, {
      remoteUrl: g.repo.url,
      baseBranch: parent.base_branch,
      ...(g.auth ? { auth: g.auth } : {}),
    }).catch((e: unknown) => {
      // Never forced: a branch that moved since the fetch is fetched and rebased onto again.
      if (
        isPaulError(e) &&
        e.code === "push_refused" &&
        /non-fast-forward|fetch first/.test(e.message)
      ) {
        throw new PaulError(
          "branch_moved",
          `${f.branch} moved while Paul pushed to it; trying again on top of it.`,
        );
      }
      throw e;
    });
  }
  const summary = summaryOf(impl);
  let result: PushResult = {
    branch: f.branch,
    commit,
    ...(rebasedOnto ? { rebasedOnto } : {}),
    summary,
    message: `Pushed ${commit.slice(0, 7)} to ${f.branch}.`,
  };
  const repo = ctx.repo().github;
  if (repo && parent.pr_number) {
    result = {
      ...result,
      ...(await tellGithub(
        ctx,
        f,
        parent.id,
        { owner: repo.owner, repo: repo.name, number: parent.pr_number },
        result,
      )),
    };
  }
  await ctx.complete(result, { finish: "done", message: result.message });
  if (repo && parent.pr_number) {
    const pr = { owner: repo.owner, repo: repo.name, prNumber: parent.pr_number };
    // The new head's CI is watched like the first one's.
    await withTransaction(pool, (tx) =>
      watchPull(ctx.deps, tx, { runId: parent.id, ...pr, headSha: commit }),
    );
  }
}

function summaryOf(impl: ImplementationOutput): string {
  const gates = impl.gateResults.map((r) => `${r.gate} ${r.status}`).join(", ") || "no gates";
  return `${impl.filesChanged.length} file(s) changed, ${impl.totalCoderAttempts} coder attempt(s); gates: ${gates}.`;
}

/** The PR's Follow-ups section, and the answer where the request came from on GitHub (once). */
async function tellGithub(
  ctx: PhaseContext,
  f: RequestOutput,
  parentId: string,
  pr: { owner: string; repo: string; number: number },
  r: PushResult,
): Promise<Pick<PushResult, "prUrl" | "replyUrl">> {
  const { pool, cfg } = ctx.deps;
  const gh = ctx.deps.github();
  const pull = await getPull(gh, pr);
  const lines = await followupLines(ctx, parentId, r);
  await updatePullBody(gh, pr, withFollowups(pull.body, cfg.redact(followupsSection(lines))));
  const usage = await usageTotals(pool, ctx.run.id);
  const text = cfg.redact(
    `Pushed \`${r.commit.slice(0, 7)}\` to \`${r.branch}\`${r.rebasedOnto ? ` (rebased onto \`${r.rebasedOnto.slice(0, 7)}\`)` : ""} for ${describeRequest(f.request).replaceAll("@", "@\u200b")}. ${r.summary} Follow-up ${ctx.run.id}, $${usage.costUsd.toFixed(2)}.`,
  );
  const reply = f.request.github;
  // Claimed first: a retried job never answers twice.
  if (
    !reply ||
    !(await claimSource(pool, {
      key: `reply:pushed:${ctx.run.id}`,
      parentRunId: parentId,
      outcome: "noted",
    }))
  ) {
    return { prUrl: pull.url };
  }
  const posted =
    reply.reviewCommentId !== undefined
      ? await replyToReviewComment(gh, pr, reply.reviewCommentId, text)
      : await postPrComment(gh, pr, text);
  return { prUrl: pull.url, replyUrl: posted.url };
}

/** Every follow-up of the build that pushed, this one included, for the PR body. */
async function followupLines(
  ctx: PhaseContext,
  parentId: string,
  current: PushResult,
): Promise<FollowupLine[]> {
  const { pool } = ctx.deps;
  const lines: FollowupLine[] = [];
  for (const run of await listFollowups(pool, parentId)) {
    const req = await getPhaseResult(pool, run.id, REQUEST.name);
    const pushed = run.id === ctx.run.id ? current : await storedPush(pool, run.id);
    if (!req || !pushed) continue;
    const impl = await getPhaseResult(pool, run.id, IMPLEMENTATION.name);
    const i = impl ? readOutput(IMPLEMENTATION, impl.output) : undefined;
    lines.push({
      runId: run.id,
      what: describeRequest(readOutput(REQUEST, req.output).request),
      commit: pushed.commit,
      attempts: i?.totalCoderAttempts ?? 0,
      gates: i && i.gateResults.every((g) => g.status === "passed") ? "passed" : "failing",
      costUsd: (await usageTotals(pool, run.id)).costUsd,
    });
  }
  return lines;
}

async function storedPush(
  pool: PhaseContext["deps"]["pool"],
  runId: string,
): Promise<PushResult | undefined> {
  const r = await getPhaseResult(pool, runId, PUSH.name);
  return r ? readOutput(PUSH, r.output) : undefined;
}
