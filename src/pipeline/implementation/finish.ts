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
import { invariant, PaulError } from "../../errors.ts";
import { formatGateFailure, GATE_OUTPUT_MAX, runGates } from "../../gates/run.ts";
import { changedFiles, changedLines } from "../../workspace/worktree.ts";
import { type PhaseContext, phaseContext } from "../context.ts";
import type { Deps } from "../deps.ts";
import { OPTIONS } from "../options.ts";
import { PUSH_JOB } from "../push/schema.ts";
import { type Ask, type Continue, completePhaseTx, failRun } from "../run.ts";
import { advance } from "./advance.ts";
import { implInputs } from "./inputs.ts";
import type { ImplFinishPayload } from "./job-specs.ts";
import { type FinishStep, finishStep, policyOf } from "./next-step.ts";
import { buildOutput } from "./result.ts";
import { IMPLEMENTATION } from "./schema.ts";
import {
  ensureCommit,
  featureRef,
  openRunGit,
  type RunGit,
  sandboxIn,
  worktreeAt,
} from "./workspace.ts";

/**
 * After the last wave: the full gates on the feature branch. Passing, the
 * phase ends with its result and "Create PR?"; failing, a narrowly scoped fix
 * task is planned as one more wave (its own failure pauses like any task's).
 * What to do is finishStep's (next-step.ts); this job carries it out.
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
  const policy = policyOf(cfg);
  const decideNow = (integration: IntegrationRun | null) =>
    finishStep({ tasks, featureCommit: plan.feature_commit, integration }, policy);
  let step = decideNow(plan.integration);
  if (step.kind === "fail") {
    const err = new PaulError("agent_failed", step.message, { hint: step.hint });
    await failRun(pool, run.id, err, "implementation", cfg.redact);
    return;
  }
  const ctx = phaseContext(deps, run, IMPLEMENTATION, plan.revision, signal);
  const g = await openRunGit(cfg, run);
  await ensureCommit(g, plan.feature_commit, featureRef(run.id));
  const { dir } = await worktreeAt(g, "integration", plan.feature_commit);
  let integration = plan.integration;
  // A job retried after storing its gates does not run them again on the same commit.
  if (step.kind === "run_gates") {
    integration = await runFullGates(ctx, g, dir, plan.feature_commit);
    step = decideNow(integration);
  }
  invariant(integration, "the full gates ran but left no result");
  switch (step.kind) {
    case "fix":
      await planFix(
        deps,
        run,
        plan,
        tasks,
        step,
        await changedFiles(dir, plan.base_commit, plan.feature_commit),
      );
      return;
    case "offer_pr":
      await finalize(ctx, plan, integration, dir, step.prompt);
      return;
    case "fail":
    case "run_gates":
      invariant(
        false,
        `the full gates ran on ${plan.feature_commit}, yet the next step is ${step.kind}`,
      );
  }
}

/** The full gates on the feature branch at `commit`: stored (each gate, and on the plan) and returned. */
async function runFullGates(
  ctx: PhaseContext,
  g: RunGit,
  dir: string,
  commit: string,
): Promise<IntegrationRun> {
  const { pool, cfg } = ctx.deps;
  const runId = ctx.run.id;
  await ctx.progress("every wave is merged: running the full gates on the feature branch");
  const { sandbox, env } = sandboxIn(g, dir, ctx.gates());
  const gates = await runGates(ctx.gates(), dir, {
    timeoutMs: cfg.gateTimeoutMs,
    env,
    sandbox,
    redact: cfg.redact,
    signal: ctx.signal,
  });
  const all = [...(gates.install ? [gates.install] : []), ...gates.results];
  for (const r of all) {
    await insertGateResult(pool, {
      runId,
      attemptId: null,
      scope: "integration",
      gate: r.gate,
      status: r.status,
      command: r.command,
      output: r.output,
      durationMs: r.durationMs,
    });
  }
  const integration = {
    commit,
    passed: gates.passed,
    results: all.map((r) => ({ gate: r.gate, status: r.status, output: r.output })),
  };
  await updatePlan(pool, runId, { integration });
  if (!gates.passed)
    await ctx.progress(
      `the full gates fail on the feature branch:\n${formatGateFailure(gates).slice(0, 2000)}`,
    );
  return integration;
}

async function planFix(
  deps: Deps,
  run: RunRow,
  plan: PlanRow,
  tasks: TaskRow[],
  fix: Extract<FinishStep, { kind: "fix" }>,
  changed: { path: string }[],
): Promise<void> {
  const failing = fix.failing;
  const output = failing
    .map((r) => `### ${r.gate} failed\n${r.output}`)
    .join("\n\n")
    .slice(0, GATE_OUTPUT_MAX);
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
      maxAttempts: fix.maxAttempts,
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
  prompt: string,
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
  const next: Ask | Continue = inputs.followup
    ? followupNext(
        ctx.deps.cfg.followup.askLines,
        inputs.followup.branch,
        integration,
        await changedLines(dir, plan.base_commit, plan.feature_commit),
      )
    : { kind: "create_pr", prompt, options: OPTIONS.create_pr };
  await withTransaction(pool, async (tx) => {
    const locked = await lockPlan(tx, run.id);
    if (locked?.stage !== "finishing" || locked.finish_gen !== plan.finish_gen) return;
    await updatePlan(tx, run.id, { stage: "done" });
    await completePhaseTx(tx, run, IMPLEMENTATION, plan.revision, output, next);
  });
}

/**
 * After a follow-up's full gates: push at once when the change is small and
 * verified; ask first when it is large (PAUL_FOLLOWUP_ASK_LINES) or the gates fail.
 */
export function followupNext(
  askLines: number,
  branch: string,
  integration: IntegrationRun,
  lines: number,
): Ask | Continue {
  const failing = integration.results.filter((r) => r.status === "failed").map((r) => r.gate);
  const options = [
    { action: "approve" as const, label: "Push" },
    { action: "cancel" as const, label: "Cancel" },
  ];
  if (failing.length > 0) {
    return {
      kind: "create_pr",
      prompt: `The full gates fail after this follow-up (${failing.join(", ")}). Push it to ${branch} anyway?`,
      options,
    };
  }
  if (lines > askLines) {
    return {
      kind: "create_pr",
      prompt: `This follow-up changes ${lines} lines (more than ${askLines}). Push it to ${branch}?`,
      options,
    };
  }
  return {
    nextJob: PUSH_JOB,
    message: `${lines} line(s) changed and the gates pass: pushing to ${branch}`,
  };
}
