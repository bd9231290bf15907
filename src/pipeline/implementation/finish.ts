import { insertEvent } from "../../db/events.ts";
import {
  getPlan,
  type IntegrationRun,
  lockPlan,
  type PlanRow,
  updatePlan,
} from "../../db/plans.ts";
import { withTransaction } from "../../db/pool.ts";
import { FINISHED, getRun, type RunRow } from "../../db/runs.ts";
import {
  insertGateResult,
  listAttempts,
  listTasks,
  type TaskRow,
  upsertTask,
} from "../../db/tasks.ts";
import { PaulError } from "../../errors.ts";
import { formatGateFailure, runGates } from "../../gates/run.ts";
import { changedFiles } from "../../workspace/worktree.ts";
import { type PhaseContext, phaseContext } from "../context.ts";
import type { Deps } from "../deps.ts";
import { OPTIONS } from "../options.ts";
import { completePhaseTx, failRun } from "../run.ts";
import { advance } from "./advance.ts";
import { implInputs } from "./inputs.ts";
import type { ImplFinishPayload } from "./job-specs.ts";
import { buildOutput } from "./result.ts";
import { IMPLEMENTATION } from "./schema.ts";
import { ensureCommit, featureRef, openRunGit, sandboxIn, worktreeAt } from "./workspace.ts";

/** Fix tasks per run: one for the integration failure, one more if the first did not hold. */
const MAX_FIX_TASKS = 2;
const FIX_ATTEMPTS = 3;

/**
 * After the last wave: the full gates on the feature branch. Passing, the
 * phase ends with its result and "Create PR?"; failing, a narrowly scoped fix
 * task is planned as one more wave (its own failure pauses like any task's).
 */
export async function runImplFinish(
  deps: Deps,
  payload: ImplFinishPayload,
  signal: AbortSignal,
): Promise<void> {
  const { pool, cfg } = deps;
  const run = await getRun(pool, payload.runId);
  const plan = await getPlan(pool, payload.runId);
  if (!run || FINISHED.includes(run.status) || !plan) return;
  if (plan.stage !== "finishing" || plan.finish_gen !== payload.generation) return;
  const tasks = await listTasks(pool, run.id);
  if (!tasks.some((t) => t.status === "merged")) {
    const left = tasks.map((t) => `${t.task_key} ${t.status}`).join(", ");
    const err = new PaulError(
      "agent_failed",
      `No implementation task was merged (${left}), so there is nothing to open a pull request for.`,
      {
        hint: "start a new run with a narrower feature, or a different approach",
      },
    );
    await failRun(pool, run.id, err, "implementation", cfg.redact);
    return;
  }
  const ctx = phaseContext(deps, run, IMPLEMENTATION, plan.revision, signal);
  const g = await openRunGit(cfg, run);
  await ensureCommit(g, plan.feature_commit, featureRef(run.id));
  const { dir } = await worktreeAt(g, "integration", plan.feature_commit);
  let integration = plan.integration;
  // A job retried after storing its gates does not run them again on the same commit.
  if (integration?.commit !== plan.feature_commit) {
    await ctx.progress("every wave is merged: running the full gates on the feature branch");
    const { sandbox, env } = sandboxIn(g, dir);
    const gates = await runGates(ctx.gates(), dir, {
      timeoutMs: cfg.gateTimeoutMs,
      env,
      sandbox,
      redact: cfg.redact,
      signal,
    });
    const all = [...(gates.install ? [gates.install] : []), ...gates.results];
    for (const r of all) {
      await insertGateResult(pool, {
        runId: run.id,
        attemptId: null,
        scope: "integration",
        gate: r.gate,
        status: r.status,
        command: r.command,
        output: r.output,
        durationMs: r.durationMs,
      });
    }
    integration = {
      commit: plan.feature_commit,
      passed: gates.passed,
      results: all.map((r) => ({ gate: r.gate, status: r.status, output: r.output })),
    };
    await updatePlan(pool, run.id, { integration });
    if (!gates.passed)
      await ctx.progress(
        `the full gates fail on the feature branch:\n${formatGateFailure(gates).slice(0, 2000)}`,
      );
  }
  const fixes = tasks.filter((t) => t.kind === "fix");
  const fixable = fixes.length < MAX_FIX_TASKS && !fixes.some((t) => t.status !== "merged");
  if (!integration.passed && fixable) {
    await planFix(
      deps,
      run,
      plan,
      tasks,
      integration,
      await changedFiles(dir, plan.base_commit, plan.feature_commit),
    );
    return;
  }
  await finalize(ctx, plan, integration, dir);
}

async function planFix(
  deps: Deps,
  run: RunRow,
  plan: PlanRow,
  tasks: TaskRow[],
  integration: IntegrationRun,
  changed: { path: string }[],
): Promise<void> {
  const failing = integration.results.filter((r) => r.status === "failed");
  const output = failing
    .map((r) => `### ${r.gate} failed\n${r.output}`)
    .join("\n\n")
    .slice(0, 8000);
  const named = changed.map((f) => f.path).filter((p) => output.includes(p));
  let n = 1;
  while (tasks.some((t) => t.task_key === `F${n}`)) n++;
  const key = `F${n}`;
  await withTransaction(deps.pool, async (tx) => {
    const locked = await lockPlan(tx, run.id);
    if (locked?.stage !== "finishing" || locked.finish_gen !== plan.finish_gen) return;
    const wave = Math.max(...tasks.map((t) => t.wave)) + 1;
    await upsertTask(tx, {
      runId: run.id,
      key,
      kind: "fix",
      title: `Make the full gates pass (${failing.map((r) => r.gate).join(", ")})`,
      description: [
        "Every task of the plan passed its own gates, but merged together the full gates fail on the feature branch.",
        "Fix only what makes them fail; do not rework the tasks' changes beyond that.",
        `Failing gate output:\n${output}`,
      ].join("\n\n"),
      files: named.length > 0 ? named : changed.map((f) => f.path),
      size: "S",
      dependsOn: [],
      conditions: [],
      wave,
      maxAttempts: FIX_ATTEMPTS,
    });
    await updatePlan(tx, run.id, { stage: "waves", wave, finish_gen: plan.finish_gen + 1 });
    await insertEvent(tx, run.id, "progress", {
      phase: "implementation",
      message: `the full gates fail after merging; fix task ${key} added as wave ${wave}`,
    });
    await advance(tx, run.id, { changed: true });
  });
}

async function finalize(
  ctx: PhaseContext,
  plan: PlanRow,
  integration: IntegrationRun,
  dir: string,
): Promise<void> {
  const { pool } = ctx.deps;
  const run = ctx.run;
  const inputs = await implInputs(ctx);
  const output = buildOutput({
    branch: run.branch ?? "",
    filesChanged: await changedFiles(dir, plan.base_commit, plan.feature_commit),
    integration,
    tasks: await listTasks(pool, run.id),
    attempts: await listAttempts(pool, run.id),
    conditions: inputs.conditions,
  });
  const failing = output.gateResults.filter((r) => r.status === "failed").map((r) => r.gate);
  const prompt =
    failing.length > 0
      ? `The full gates fail on the feature branch (${failing.join(", ")}) and no fix task could repair them. Create PR anyway?`
      : output.gateResults.length === 0
        ? "The repository has no gates, so nothing was verified. Create PR?"
        : "All gates pass. Create PR?";
  await withTransaction(pool, async (tx) => {
    const locked = await lockPlan(tx, run.id);
    if (locked?.stage !== "finishing" || locked.finish_gen !== plan.finish_gen) return;
    await updatePlan(tx, run.id, { stage: "done" });
    await completePhaseTx(tx, run, IMPLEMENTATION, plan.revision, output, {
      kind: "create_pr",
      prompt,
      options: OPTIONS.create_pr,
    });
  });
}
