import { chosenApproach } from "../../db/ctas.ts";
import { updateRun } from "../../db/runs.ts";
import { upsertTask } from "../../db/tasks.ts";
import { PaulError } from "../../errors.ts";
import { paulBranchName, pushRef } from "../../workspace/push.ts";
import { workspacePaths } from "../../workspace/paths.ts";
import { ensureMirror } from "../../workspace/repo.ts";
import { changedFiles, createWorktree } from "../../workspace/worktree.ts";
import type { Analysis } from "../analysis/schema.ts";
import type { Approaches } from "../approaches/schema.ts";
import type { PhaseContext } from "../context.ts";
import type { Judging } from "../judging/schema.ts";
import { OPTIONS } from "../transitions.ts";
import { coderContext } from "./prompt.ts";
import { type ImplementationResult, ImplementationResultSchema } from "./schema.ts";
import { runTask, taskFromApproach } from "./task.ts";

export const featureRef = (runId: string) => `refs/paul/${runId}/feature`;

/**
 * One implementation task per run for now: the chosen approach as task T1,
 * coded and gated on Paul's branch, then pushed to a private ref so any worker
 * can open the PR. Waves of tasks build on the same task runner.
 */
export async function runImplementation(ctx: PhaseContext): Promise<void> {
  const { cfg, pool } = ctx.deps;
  const analysis = await ctx.output<Analysis>("analysis");
  const { approaches } = await ctx.output<Approaches>("approaches");
  const judging = await ctx.output<Judging>("judging");
  const index = (await chosenApproach(pool, ctx.run.id)) ?? judging.approachIndex;
  const approach = approaches[index];
  if (!approach) throw new PaulError("internal", `approach ${index} does not exist`);
  const repo = ctx.repo();
  const auth = cfg.github.token ? { token: cfg.github.token } : undefined;
  const mirror = await ensureMirror(repo, cfg.workDir, auth);
  const branch = ctx.run.branch ?? paulBranchName(ctx.run.id, ctx.run.feature);
  await updateRun(pool, ctx.run.id, { branch });
  const start = ctx.run.base_commit ?? ctx.run.base_branch;
  const dir = workspacePaths(cfg.workDir, ctx.run.id).taskDir("T1");
  await createWorktree(mirror, dir, branch, start);

  const coderTask = taskFromApproach("T1", approach, judging.conditions);
  const size = approach.effort;
  const task = await upsertTask(pool, {
    runId: ctx.run.id,
    key: "T1",
    title: approach.name,
    description: coderTask.description,
    files: approach.files,
    size,
    dependsOn: [],
    conditions: judging.conditions,
    wave: 1,
  });
  const small = size === "XS" || size === "S";
  const outcome = await runTask(ctx, {
    task,
    dir,
    mirror,
    branch,
    startCommit: start,
    gates: ctx.gates(),
    coderContext: coderContext({ feature: ctx.run.feature, repo: ctx.run.repo_spec, analysis, approach, gates: ctx.gates(), task: coderTask }),
    models: { first: small ? cfg.models.coderCheap : cfg.models.coderStrong, escalate: cfg.models.coderStrong },
    maxAttempts: cfg.maxCoderAttempts,
  });
  const total = Number(
    (await pool.query<{ n: string }>("select count(*) as n from coder_attempts where run_id = $1 and status <> 'discarded'", [ctx.run.id])).rows[0]?.n ?? 0,
  );
  if (!outcome.ok) {
    await ctx.complete(
      { failed: true, reason: outcome.reason, totalCoderAttempts: total },
      { kind: "pause", prompt: `Implementation paused: ${outcome.reason}. Retry, or cancel the run?`, options: OPTIONS.pause },
    );
    return;
  }
  await pushRef(dir, outcome.commit, featureRef(ctx.run.id), { remoteUrl: repo.url, baseBranch: ctx.run.base_branch, auth });
  const result: ImplementationResult = ImplementationResultSchema.parse({
    branch,
    filesChanged: await changedFiles(dir, start, outcome.commit),
    gateResults: outcome.gates.results.map((g) => ({ gate: g.gate, status: g.status, output: g.output })),
    totalCoderAttempts: total,
    conditionsAddressed: judging.conditions.filter((c) => outcome.conditionsAddressed.some((a) => sameCondition(a, c))),
  });
  const noGates = outcome.gates.results.length === 0;
  await ctx.complete(result, {
    kind: "create_pr",
    prompt: noGates ? "The repository has no gates, so nothing was verified. Create PR?" : "All gates pass. Create PR?",
    options: OPTIONS.create_pr,
  });
}

function sameCondition(a: string, b: string): boolean {
  const n = (s: string) => s.trim().toLowerCase().replace(/[.\s]+$/, "");
  return n(a) === n(b) || n(a).includes(n(b)) || n(b).includes(n(a));
}
