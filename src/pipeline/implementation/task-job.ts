import { insertEvent } from "../../db/events.ts";
import { getPlan, lockPlan } from "../../db/plans.ts";
import { withTransaction } from "../../db/pool.ts";
import { FINISHED, getRun } from "../../db/runs.ts";
import {
  discardRunningAttempts,
  getTask,
  listAttempts,
  TASK_ACTIVE,
  type TaskPatch,
  type TaskRow,
  updateTask,
} from "../../db/tasks.ts";
import { invariant } from "../../errors.ts";
import { phaseContext } from "../context.ts";
import type { Deps } from "../deps.ts";
import { advance } from "./advance.ts";
import { emitBoard } from "./board.ts";
import { implInputs } from "./inputs.ts";
import type { ImplTaskPayload } from "./job-specs.ts";
import { mergeTask } from "./merge.ts";
import {
  type AttemptOutcome,
  type AttemptRecord,
  attemptRecord,
  countsAsAttempt,
  decide,
  policyOf,
  taskFacts,
} from "./next-step.ts";
import { coderContext } from "./prompt.ts";
import { reviewAttempt } from "./review.ts";
import { IMPLEMENTATION } from "./schema.ts";
import { runAttempt, type TaskWork } from "./task.ts";
import { ensureCommit, featureRef, openRunGit, worktreeAt } from "./workspace.ts";

/**
 * One implementation task as a job: the decision table (next-step.ts) says
 * what comes next — an attempt, a reviewer pass, the merge, a pause or giving
 * up — and this job carries it out, feeding what each step returns into the
 * next decision. Everything it starts from comes from Postgres and the
 * remote, so a job taken over from a dead worker on another machine decides
 * from the same attempts and picks up at the last finished step.
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
  const start = task.start_commit;
  invariant(start, `task ${task.task_key} of run ${run.id} was queued without a start commit`);
  const ctx = phaseContext(deps, run, IMPLEMENTATION, plan.revision, signal);
  const g = await openRunGit(cfg, run);
  await ensureCommit(g, start, featureRef(run.id));
  const { dir, branch } = await worktreeAt(g, { task: task.task_key }, start);
  const inputs = await implInputs(ctx);
  const w: TaskWork = {
    ctx,
    g,
    task,
    startCommit: start,
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
  };
  const policy = policyOf(cfg);
  const facts = taskFacts(task);
  // Read once: from here on each step's own result feeds the next decision.
  const history: AttemptRecord[] = (await listAttempts(pool, run.id))
    .filter((a) => a.task_id === task.id && countsAsAttempt(a))
    .map(attemptRecord);
  for (;;) {
    const now = await getRun(pool, run.id);
    if (!now || FINISHED.includes(now.status)) return;
    const step = decide(facts, history, policy);
    switch (step.kind) {
      case "attempt":
        history.push(await runAttempt(w, step, history.at(-1)));
        break;
      case "review": {
        const review = await reviewAttempt(w, step.attempt, step.commit);
        amend(history, step.attempt, { ...step.attempt.outcome, review });
        break;
      }
      case "merge": {
        const merged = await mergeTask(deps, g, task, step);
        if (merged.kind !== "conflict") return;
        amend(history, step.attempt, { ...step.attempt.outcome, conflict: merged.conflict });
        break;
      }
      case "pause":
        await settle(deps, task, { status: step.status, reason: step.reason });
        return;
      case "abandon":
        await settle(deps, task, { status: "abandoned", reason: step.reason });
        return;
    }
  }
}

/** What happened to an attempt after its gates (a review, a merge conflict), in the history. */
function amend(history: AttemptRecord[], a: AttemptRecord, outcome: AttemptOutcome): void {
  const i = history.findIndex((h) => h.id === a.id);
  invariant(i >= 0, `attempt ${a.id} is not in its task's history`);
  history[i] = { ...a, outcome };
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
