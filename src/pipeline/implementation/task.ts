import { coderTools, runAgent } from "../../agents/index.ts";
import {
  type AttemptRow,
  discardRunningAttempts,
  finishAttempt,
  insertAttempt,
  insertGateResult,
  type TaskRow,
  updateTask,
} from "../../db/tasks.ts";
import type { GatePlan } from "../../gates/discover.ts";
import { formatGateFailure, type GateRun, runGates } from "../../gates/run.ts";
import { commandEnv, sandboxFor, workspacePaths } from "../../workspace/paths.ts";
import { commitAll, resetWorktree, touchedFiles } from "../../workspace/worktree.ts";
import type { PhaseContext } from "../context.ts";
import { type CoderTask, coderPrompt, coderSystem, type PreviousAttempt } from "./prompt.ts";
import { doNotRepeat } from "./retry.ts";
import { CoderReportSchema } from "./schema.ts";

export type TaskOutcome =
  | { ok: true; commit: string; gates: GateRun; attempts: number; conditionsAddressed: string[]; summary: string }
  | { ok: false; reason: string; attempts: number; lastGates?: GateRun };

export interface TaskSetup {
  task: TaskRow;
  dir: string;
  mirror: string;
  branch: string;
  startCommit: string;
  gates: GatePlan;
  coderContext: string;
  /** Model for the first attempt, and the stronger one retries escalate to. */
  models: { first: string; escalate: string };
  maxAttempts: number;
}

/** Consecutive typecheck/build failures after which a person should look. */
const REPEATED_BUILD_FAILURES = 3;

/**
 * Attempts for one task: reset, code, commit, gate — until the gates pass or
 * the decision table says stop. Every attempt is stored.
 */
export async function runTask(ctx: PhaseContext, s: TaskSetup): Promise<TaskOutcome> {
  const { pool, cfg } = ctx.deps;
  await discardRunningAttempts(pool, s.task.id);
  await updateTask(pool, s.task.id, { status: "in_progress", start_commit: s.startCommit });
  const sandboxHome = workspacePaths(cfg.workDir, ctx.run.id).homeDir;
  const sandbox = sandboxFor({ home: cfg.home, workDir: cfg.workDir, root: s.dir, mirror: s.mirror, sandboxHome });
  const env = commandEnv({ sandboxHome, workDir: cfg.workDir });
  const baseNo = Number(
    (await pool.query<{ n: string }>("select count(*) as n from coder_attempts where task_id = $1 and status <> 'discarded'", [s.task.id])).rows[0]?.n ?? 0,
  );
  let previous: PreviousAttempt | undefined;
  let agentErrors = 0;
  let buildFailures = 0;
  let lastGates: GateRun | undefined;
  for (let i = 0; i < s.maxAttempts; i++) {
    const attemptNo = baseNo + i + 1;
    // A fresh coder never sees the last coder's broken files.
    await resetWorktree(s.dir, s.branch, s.startCommit);
    const model = i === 0 ? s.models.first : s.models.escalate;
    const prompt = coderPrompt({ memories: await ctx.memories(), previous });
    const attempt = await insertAttempt(pool, { runId: ctx.run.id, taskId: s.task.id, attemptNo, model, startCommit: s.startCommit, prompt });
    await ctx.progress(`${s.task.task_key}: attempt ${i + 1} of ${s.maxAttempts} (${model})`);
    const res = await runAgent({
      client: ctx.deps.model(),
      model,
      role: "coder",
      system: coderSystem(),
      context: s.coderContext,
      prompt,
      tools: coderTools({ root: s.dir, sandbox, env, timeoutMs: cfg.commandTimeoutMs }),
      output: CoderReportSchema,
      usage: ctx.usage(),
      signal: ctx.signal,
      onEvent: (e) => {
        if (e.kind === "tool" && e.name !== "submit_result") void ctx.progress(`${s.task.task_key}: ${e.name}`).catch(() => {});
      },
    });
    const touched = await touchedFiles(s.dir, s.startCommit);
    if (!res.ok) {
      // Budget, auth and cancellation are the run's problem, not this attempt's.
      if (["budget_exhausted", "model_auth", "cancelled"].includes(res.error.code) || res.error.retryable) throw res.error;
      agentErrors++;
      await finish(attempt, "agent_error", touched, res.summary, { kind: "agent_error", output: res.error.message }, res.error.code);
      if (agentErrors >= 2) return { ok: false, reason: `the coder failed twice: ${res.error.message}`, attempts: i + 1 };
      previous = retryContext(attemptNo, touched, res.summary, { kind: "agent_error", output: res.error.message });
      continue;
    }
    const summary = cfg.redact(res.output.summary);
    const commit = await commitAll(s.dir, `${s.task.task_key}: ${s.task.title}\n\n${summary}`);
    if (!commit) {
      await finish(attempt, "failed", touched, summary, { kind: "no_changes", output: "The attempt changed no files." }, "no_changes");
      previous = retryContext(attemptNo, touched, summary, { kind: "no_changes", output: "The attempt changed no files." });
      continue;
    }
    await updateTask(pool, s.task.id, { status: "validating" });
    const gates = await runGates(s.gates, s.dir, {
      timeoutMs: cfg.gateTimeoutMs,
      env,
      sandbox,
      redact: cfg.redact,
      onGate: (gate, state) => void ctx.progress(`${s.task.task_key}: gate ${gate} ${state}`).catch(() => {}),
    });
    lastGates = gates;
    for (const g of [...(gates.install ? [gates.install] : []), ...gates.results]) {
      await insertGateResult(pool, { runId: ctx.run.id, attemptId: attempt.id, scope: "attempt", gate: g.gate, status: g.status, command: g.command, output: g.output, durationMs: g.durationMs });
    }
    if (gates.passed) {
      await finish(attempt, "passed", touched, summary, null, "gates_passed", commit);
      await updateTask(pool, s.task.id, { status: "merged", result_commit: commit, summary });
      return { ok: true, commit, gates, attempts: i + 1, conditionsAddressed: res.output.conditionsAddressed, summary };
    }
    await updateTask(pool, s.task.id, { status: "in_progress" });
    const failed = [...(gates.install && gates.install.status === "failed" ? [gates.install] : []), ...gates.results.filter((g) => g.status === "failed")];
    const gate = failed[0]?.gate ?? "test";
    const failure = { kind: "gate", gate, output: formatGateFailure(gates) };
    await finish(attempt, "failed", touched, summary, failure, `${gate}_failed`, commit);
    buildFailures = failed.some((g) => g.gate === "typecheck" || g.gate === "build") ? buildFailures + 1 : 0;
    if (buildFailures >= REPEATED_BUILD_FAILURES) {
      return { ok: false, reason: `${gate} failed ${buildFailures} times in a row`, attempts: i + 1, lastGates: gates };
    }
    previous = retryContext(attemptNo, touched, summary, failure);
  }
  return { ok: false, reason: `the gates still fail after ${s.maxAttempts} attempts`, attempts: s.maxAttempts, ...(lastGates ? { lastGates } : {}) };

  async function finish(
    a: AttemptRow,
    status: AttemptRow["status"],
    files: string[],
    summary: string,
    failure: AttemptRow["failure"],
    reason: string,
    commit?: string,
  ): Promise<void> {
    await finishAttempt(pool, a.id, { status, filesTouched: files, summary, failure, endedReason: reason, resultCommit: commit ?? null });
  }
}

function retryContext(
  attemptNo: number,
  filesTouched: string[],
  summary: string,
  failure: { kind: string; gate?: string; output: string },
): PreviousAttempt {
  return {
    attemptNo,
    filesTouched,
    summary,
    failureOutput: failure.output.slice(0, 8000),
    doNotRepeat: doNotRepeat({ ...failure, filesTouched }),
  };
}

export function taskFromApproach(key: string, a: { name: string; summary: string; steps: string[]; files: string[] }, conditions: string[]): CoderTask {
  return { key, title: a.name, description: `${a.summary}\n\nSteps:\n${a.steps.map((s) => `- ${s}`).join("\n")}`, files: a.files, conditions };
}

