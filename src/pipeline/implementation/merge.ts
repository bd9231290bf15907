import { insertEvent } from "../../db/events.ts";
import { lockPlan, updatePlan } from "../../db/plans.ts";
import { withTransaction } from "../../db/pool.ts";
import { FINISHED, getRun } from "../../db/runs.ts";
import { getTask, noteAttempt, type TaskRow, updateTask } from "../../db/tasks.ts";
import { mergeInto } from "../../workspace/worktree.ts";
import type { Deps } from "../deps.ts";
import { advance } from "./advance.ts";
import type { Conflict, NextStep } from "./next-step.ts";
import { ensureCommit, featureRef, push, type RunGit, taskRef, worktreeAt } from "./workspace.ts";

export type MergeOutcome =
  | { kind: "merged"; commit: string }
  /** Noted on the attempt; what it means for the task is the next decision's. */
  | { kind: "conflict"; conflict: Conflict }
  /** The run ended, or the task moved on (merged, or retried as a new generation) meanwhile. */
  | { kind: "stale" };

/**
 * Merge a task's passing commit into the feature branch. The plan's row lock
 * serialises the merges of a run across every worker: the feature commit is
 * read under it, the merge is pushed to the remote before the database moves
 * to it, and the run advances in the same transaction. A crash anywhere
 * leaves the database at the last feature commit it recorded, which the
 * remote ref still contains; the merge is simply done again.
 */
export async function mergeTask(
  deps: Deps,
  g: RunGit,
  task: TaskRow,
  passed: Extract<NextStep, { kind: "merge" }>,
): Promise<MergeOutcome> {
  return withTransaction(deps.pool, async (tx) => {
    const plan = await lockPlan(tx, task.run_id);
    const run = await getRun(tx, task.run_id);
    const current = await getTask(tx, task.run_id, task.task_key);
    const stale: MergeOutcome = { kind: "stale" };
    if (!plan || !run || FINISHED.includes(run.status)) return stale;
    if (!current || current.generation !== task.generation || current.status === "merged")
      return stale;
    await ensureCommit(g, plan.feature_commit, featureRef(run.id));
    await ensureCommit(g, passed.commit, taskRef(run.id, task.task_key));
    const { dir } = await worktreeAt(g, "merge", plan.feature_commit);
    const merged = await mergeInto(dir, passed.commit, `Merge ${task.task_key}: ${task.title}`);
    if (!merged.ok) {
      const conflict = {
        files: merged.conflicts,
        output: `Merging into the feature branch conflicted in: ${merged.conflicts.join(", ")}. Other tasks changed these files after this task started; the retry starts from the feature branch with their changes.`,
      };
      await noteAttempt(tx, passed.attempt.id, {
        failure: { kind: "merge_conflict", ...conflict },
        endedReason: "merge_conflict",
      });
      return { kind: "conflict", conflict };
    }
    await push(g, dir, merged.commit, featureRef(run.id));
    await updatePlan(tx, run.id, { feature_commit: merged.commit });
    await updateTask(tx, task.id, {
      status: "merged",
      result_commit: passed.commit,
      summary: passed.attempt.summary,
      reason: null,
    });
    await insertEvent(tx, run.id, "progress", {
      phase: "implementation",
      message: `${task.task_key} merged into the feature branch`,
    });
    await advance(tx, run.id, { changed: true });
    return { kind: "merged", commit: merged.commit };
  });
}
