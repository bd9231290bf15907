import { pendingCta } from "../../db/ctas.ts";
import { getPlan, insertPlan } from "../../db/plans.ts";
import { withTransaction } from "../../db/pool.ts";
import { updateRun } from "../../db/runs.ts";
import { upsertTask } from "../../db/tasks.ts";
import { invariant } from "../../errors.ts";
import { enqueue } from "../../queue/jobs.ts";
import { paulBranchName } from "../../workspace/push.ts";
import type { PhaseContext } from "../context.ts";
import { definePhase } from "../phase.ts";
import { advance } from "./advance.ts";
import { emitBoard } from "./board.ts";
import { implInputs } from "./inputs.ts";
import { IMPL_FINISH } from "./job-specs.ts";
import { IMPLEMENTATION_JOBS } from "./jobs.ts";
import { planTasks } from "./planner.ts";
import { renderImplementation } from "./render.ts";
import { IMPLEMENTATION, type ImplementationOutput } from "./schema.ts";
import { featureRef, openRunGit, push } from "./workspace.ts";

export { featureRef } from "./workspace.ts";

/**
 * The implementation phase job: the planner splits the chosen approach into
 * tasks, the plan is stored with its waves and shown, and the first wave's
 * task jobs are queued — all in one transaction. From there task jobs, the
 * finish job and pause decisions carry the run (see advance.ts); this job,
 * queued again by `paul resume`, only restores what a crash may have lost.
 */
export const implementation = definePhase({
  ...IMPLEMENTATION,
  title: "Implementation",
  maxAttempts: 3,
  // A paused implementation stores no output to count; its questions number it.
  numbering: "questions",
  asks: ["create_pr", "pause"],
  run: runImplementation,
  render: renderImplementation,
  jobs: IMPLEMENTATION_JOBS,
});

async function runImplementation(ctx: PhaseContext<ImplementationOutput>): Promise<void> {
  const { pool, cfg } = ctx.deps;
  const runId = ctx.run.id;
  const existing = await getPlan(pool, runId);
  if (existing) {
    await withTransaction(pool, async (tx) => {
      if (await pendingCta(tx, runId)) await updateRun(tx, runId, { status: "paused" });
      if (existing.stage === "finishing") {
        await enqueue(tx, IMPL_FINISH, { runId, generation: existing.finish_gen });
      }
      await advance(tx, runId);
    });
    return;
  }
  const base = ctx.run.base_commit;
  invariant(base, `run ${runId} reached implementation with no base commit`);
  const inputs = await implInputs(ctx);
  const plan = await planTasks(ctx, inputs);
  const g = await openRunGit(cfg, ctx.run);
  // The feature branch starts at the base commit, on the remote before the plan refers to it.
  await push(g, g.mirror, base, featureRef(runId));
  await withTransaction(pool, async (tx) => {
    if (await getPlan(tx, runId)) return;
    await insertPlan(tx, {
      runId,
      revision: ctx.revision,
      baseCommit: base,
      concurrency: cfg.taskConcurrency,
    });
    await updateRun(tx, runId, {
      branch: ctx.run.branch ?? paulBranchName(runId, ctx.run.feature),
    });
    for (const t of plan) {
      await upsertTask(tx, {
        runId,
        key: t.id,
        title: t.title,
        description: t.description,
        files: t.files,
        size: t.size,
        dependsOn: t.dependsOn,
        conditions: t.conditions,
        wave: t.wave,
        maxAttempts: cfg.maxCoderAttempts,
      });
    }
    await advance(tx, runId, { quiet: true });
    await emitBoard(tx, runId, "plan");
  });
}
