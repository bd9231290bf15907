import { z } from "zod";
import { runAgent } from "../../agents/index.ts";
import { noteAttempt, type Review, type TaskRow, updateTask } from "../../db/tasks.ts";
import { truncateMiddle } from "../../workspace/exec.ts";
import { git } from "../../workspace/git.ts";
import { resetWorktree } from "../../workspace/worktree.ts";
import { noticeWaiting } from "../agent.ts";
import type { PhaseContext } from "../context.ts";
import { bullet, roleMarker } from "../prompt-parts.ts";
import { emitBoard } from "./board.ts";
import { isRunLevel, type PassedAttempt } from "./next-step.ts";
import type { TaskWork } from "./task.ts";
import { ensureCommit, type RunGit, taskRef } from "./workspace.ts";

const DIFF_MAX = 30_000;

export const ReviewSchema = z.object({
  approved: z.boolean().describe("true when the change can be merged as it is"),
  requiredChanges: z
    .array(z.string().min(1))
    .describe("What must change before merging, concretely; empty when approved"),
  summary: z.string().min(1).describe("Your review in a few sentences"),
});

export function reviewerSystem(): string {
  return [
    roleMarker("reviewer"),
    "You are the code reviewer on Paul's team. A coder's change to one task has passed the repository's gates.",
    "Review the diff for correctness, fit with the codebase and the review conditions. You can only read.",
    "Approve unless something must change before merging; list only changes that are required, not tastes.",
    "Call submit_result exactly once.",
  ].join("\n");
}

/**
 * A read-only reviewer over the task's worktree at the passing commit. Its
 * required changes become the next attempt; a reviewer that fails to answer
 * does not block a change whose gates pass (null: not reviewed).
 */
export async function reviewChange(
  ctx: PhaseContext,
  g: RunGit,
  i: { task: TaskRow; dir: string; startCommit: string; commit: string; summary: string },
): Promise<Review | null> {
  const diff = await git(
    ["diff", "--no-color", "--no-ext-diff", "--no-textconv", i.startCommit, i.commit],
    i.dir,
  );
  const context = [
    `Repository: ${ctx.run.repo_spec}`,
    `Feature request: ${ctx.run.feature}`,
    `Task ${i.task.task_key}: ${i.task.title} (size ${i.task.size})\n${i.task.description}`,
    `Files in scope:\n${bullet(i.task.files)}`,
    `Review conditions this task must address:\n${bullet(i.task.conditions)}`,
    `The coder's summary:\n${i.summary}`,
    `The diff (the worktree has the change checked out):\n${truncateMiddle(diff.stdout, DIFF_MAX).text}`,
  ].join("\n\n");
  const res = await runAgent({
    client: ctx.deps.model(),
    model: ctx.deps.cfg.models.reviewer,
    role: "reviewer",
    system: reviewerSystem(),
    context,
    prompt: "Review the change now.",
    tools: ctx.readOnlyTools({ repo: g.repo, mirror: g.mirror, dir: i.dir }),
    output: ReviewSchema,
    usage: ctx.usage(),
    signal: ctx.signal,
    onEvent: (e) => {
      if (e.kind === "waiting") noticeWaiting(ctx, `${i.task.task_key} review`, e.seconds);
    },
  });
  if (!res.ok) {
    if (isRunLevel(res.error)) throw res.error;
    await ctx.emit("warning", {
      message: `${i.task.task_key}: the reviewer could not finish (${res.error.message}); merging on the gates alone.`,
    });
    return null;
  }
  const o = res.output;
  const redact = ctx.deps.cfg.redact;
  return {
    approved: o.approved || o.requiredChanges.length === 0,
    requiredChanges: o.approved ? [] : o.requiredChanges.map(redact),
    summary: redact(o.summary),
  };
}

/**
 * The reviewer's pass on a passing attempt: stored on it and returned, so the
 * next decision reads it; required changes make the next attempt. A reviewer
 * that could not answer counts as an approval (the gates passed).
 */
export async function reviewAttempt(
  w: TaskWork,
  a: PassedAttempt,
  commit: string,
): Promise<Review> {
  const { ctx, task } = w;
  await updateTask(ctx.deps.pool, task.id, { status: "validating", reason: "review" });
  await emitBoard(ctx.deps.pool, ctx.run.id, "status");
  await ctx.progress(`${task.task_key}: reviewer pass on attempt ${a.attemptNo}`);
  // A review resumed on another machine starts from the pushed commit.
  await ensureCommit(w.g, commit, taskRef(ctx.run.id, task.task_key));
  await resetWorktree(w.dir, w.branch, commit);
  const verdict = await reviewChange(ctx, w.g, {
    task,
    dir: w.dir,
    startCommit: a.startCommit,
    commit,
    summary: a.summary,
  });
  const r = verdict ?? { approved: true, requiredChanges: [], summary: "not reviewed" };
  await noteAttempt(ctx.deps.pool, a.id, {
    review: r,
    endedReason: r.approved ? "approved" : "changes_required",
  });
  await updateTask(ctx.deps.pool, task.id, { reason: null });
  if (!r.approved)
    await ctx.progress(
      `${task.task_key}: the reviewer requires changes: ${r.requiredChanges.join("; ")}`,
    );
  return r;
}
