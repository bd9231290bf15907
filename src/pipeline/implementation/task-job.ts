import { insertEvent } from "../../db/events.ts";
import { getPlan, lockPlan } from "../../db/plans.ts";
import { withTransaction } from "../../db/pool.ts";
import { FINISHED, getRun } from "../../db/runs.ts";
import {
  discardRunningAttempts,
  getTask,
  TASK_ACTIVE,
  type TaskPatch,
  type TaskRow,
  updateTask,
} from "../../db/tasks.ts";
import { phaseContext } from "../context.ts";
import type { Deps } from "../deps.ts";
import { advance } from "./advance.ts";
import { emitBoard } from "./board.ts";
import { implInputs } from "./inputs.ts";
import type { ImplTaskPayload } from "./job-specs.ts";
import { mergeTask } from "./merge.ts";
import { coderContext } from "./prompt.ts";
import { IMPLEMENTATION } from "./schema.ts";
import { runAttempts } from "./task.ts";
import { ensureCommit, featureRef, openRunGit, worktreeAt } from "./workspace.ts";

/**
 * One implementation task as a job: attempts in the task's own worktree until
 * the gates pass (or the decision table stops it), then the merge into the
 * feature branch, then the run advances. Everything it needs comes from
 * Postgres and the remote, so a job taken over from a dead worker on another
 * machine picks up at the last finished step.
 */
export async function runImplTask(
  deps: Deps,
  payload: ImplTaskPayload,
  signal: AbortSignal,
): Promise<void> {
  const { pool, cfg } = deps;
  const run = await getRun(pool, payload.runId);
  const plan = await getPlan(pool, payload.runId);
  const task = await getTask(pool, payload.runId, payload.taskKey);
  if (!run || FINISHED.includes(run.status) || !plan || !task) return;
  // A job of an older generation, or one whose task already ended, has nothing to do.
  if (task.generation !== payload.generation || !TASK_ACTIVE.includes(task.status)) return;
  if ((await discardRunningAttempts(pool, task.id)) > 0) {
    await insertEvent(pool, run.id, "progress", {
      phase: "implementation",
      message: `${task.task_key}: the worker running it stopped mid-attempt; that attempt is discarded and started again`,
    });
  }
  const ctx = phaseContext(deps, run, IMPLEMENTATION, plan.revision, signal);
  const g = await openRunGit(cfg, run);
  const start = task.start_commit!;
  await ensureCommit(g, start, featureRef(run.id));
  const { dir, branch } = await worktreeAt(g, { task: task.task_key }, start);
  const inputs = await implInputs(ctx);
  const small = task.size === "XS" || task.size === "S";
  const outcome = await runAttempts({
    ctx,
    g,
    task,
    dir,
    branch,
    coderContext: coderContext({
      feature: run.feature,
      repo: run.repo_spec,
      analysis: inputs.analysis,
      approach: inputs.approach,
      gates: ctx.gates(),
      task: {
        key: task.task_key,
        title: task.title,
        description: task.description,
        files: task.files,
        conditions: task.conditions,
      },
    }),
    models: {
      first: small ? cfg.models.coderCheap : cfg.models.coderStrong,
      escalate: cfg.models.coderStrong,
    },
  });
  switch (outcome.kind) {
    case "stopped":
      return;
    case "paused":
      await settle(deps, task, { status: "failed", reason: outcome.reason });
      return;
    case "abandoned":
      await settle(deps, task, { status: "abandoned", reason: outcome.reason });
      return;
    case "passed":
      await mergeTask(deps, g, task, outcome);
  }
}

/** A task that ends without merging: recorded and the run advanced, under the run's lock. */
async function settle(deps: Deps, task: TaskRow, patch: TaskPatch): Promise<void> {
  await withTransaction(deps.pool, async (tx) => {
    await lockPlan(tx, task.run_id);
    const current = await getTask(tx, task.run_id, task.task_key);
    if (current?.generation !== task.generation || !TASK_ACTIVE.includes(current.status)) return;
    await updateTask(tx, task.id, patch);
    await emitBoard(tx, task.run_id, "status");
    await advance(tx, task.run_id);
  });
}
