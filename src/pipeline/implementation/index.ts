import { pendingCta } from "../../db/ctas.ts";
import { getPlan, insertPlan } from "../../db/plans.ts";
import { withTransaction } from "../../db/pool.ts";
import { requireRun, updateRun } from "../../db/runs.ts";
import { upsertTask } from "../../db/tasks.ts";
import { invariant } from "../../errors.ts";
import { enqueue } from "../../queue/jobs.ts";
import { gitOut } from "../../workspace/git.ts";
import { paulBranchName } from "../../workspace/push.ts";
import type { PhaseContext } from "../context.ts";
import { definePhase } from "../phase.ts";
import type { RequestOutput } from "../request/schema.ts";
import { followupBrief, followupFiles, PR_DIFF_MAX } from "../request/work.ts";
import { advance } from "./advance.ts";
import { emitBoard } from "./board.ts";
import { type ImplInputs, implInputs } from "./inputs.ts";
import { IMPL_FINISH } from "./job-specs.ts";
import { IMPLEMENTATION_JOBS } from "./jobs.ts";
import { assignWaves } from "./plan.ts";
import { type Plan, planTasks } from "./planner.ts";
import { renderImplementation } from "./render.ts";
import { IMPLEMENTATION, IMPLEMENTATION_JOB, type ImplementationOutput } from "./schema.ts";
import { featureRef, openRunGit, push, type RunGit } from "./workspace.ts";

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
  maxAttempts: IMPLEMENTATION_JOB.maxAttempts,
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
  const g = await openRunGit(cfg, ctx.run);
  const plan = inputs.followup
    ? await followupPlan(ctx, inputs, inputs.followup, g)
    : await planTasks(ctx, inputs);
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

/**
 * A follow-up's tasks. Narrow work (a line comment, a failing check) is one
 * task with the request, the comments and the PR's diff; an open request
 * goes to the planner, which may split a large one.
 */
async function followupPlan(
  ctx: PhaseContext,
  inputs: ImplInputs,
  f: RequestOutput,
  g: RunGit,
): Promise<Plan> {
  const parent = await requireRun(ctx.deps.pool, f.parentRunId);
  const base = ctx.run.base_commit;
  invariant(base, `follow-up ${ctx.run.id} reached implementation with no base commit`);
  const diff = parent.base_commit
    ? await gitOut(["diff", "--stat", "--patch", parent.base_commit, base], g.mirror)
    : "";
  const brief = followupBrief(
    f,
    diff.length > PR_DIFF_MAX
      ? `${diff.slice(0, PR_DIFF_MAX)}\n… (diff cut at ${PR_DIFF_MAX} characters)`
      : diff,
    ctx.run.id,
  );
  if (f.scope === "open") {
    const plan = await planTasks(ctx, {
      ...inputs,
      approach: { ...inputs.approach, summary: brief },
    });
    // Each coder sees the request as it was written, fenced, not only the planner's retelling.
    return plan.map((t) => ({
      ...t,
      description: `${t.description}\n\nThe follow-up this task is part of:\n${brief}`,
    }));
  }
  const title = f.request.check
    ? `Make ${f.request.check.name} pass`
    : "Do what the review comments ask";
  return assignWaves([
    {
      id: "T1",
      title: title.slice(0, 100),
      description: brief,
      files: followupFiles(f.request),
      size: "S",
      dependsOn: [],
      conditions: [],
    },
  ]);
}
