import { coderTools, runAgent, type UsageSink } from "../../agents/index.ts";
import { FINISHED, getRun } from "../../db/runs.ts";
import {
  type AttemptRow,
  type AttemptUsage,
  finishAttempt,
  insertAttempt,
  insertGateResult,
  type TaskRow,
  taskAttempts,
  updateTask,
} from "../../db/tasks.ts";
import { formatGateFailure, runGates } from "../../gates/run.ts";
import { commitAll, resetWorktree, touchedFiles } from "../../workspace/worktree.ts";
import { noticeWaiting } from "../agent.ts";
import type { PhaseContext } from "../context.ts";
import { emitBoard } from "./board.ts";
import { coderPrompt, coderSystem } from "./prompt.ts";
import { retryContext } from "./retry.ts";
import { isRunLevel, REVIEWED_SIZES, reviewAttempt } from "./review.ts";
import { CoderReportSchema } from "./schema.ts";
import { push, type RunGit, sandboxIn, taskRef } from "./workspace.ts";

export type AttemptsOutcome =
  | { kind: "passed"; attempt: AttemptRow; commit: string }
  | { kind: "paused"; reason: string }
  | { kind: "abandoned"; reason: string }
  | { kind: "stopped" };

export interface TaskWork {
  ctx: PhaseContext;
  g: RunGit;
  task: TaskRow;
  dir: string;
  branch: string;
  coderContext: string;
  models: { first: string; escalate: string };
}

/** A typecheck or build (or install) failure this many times in a row needs a person. */
const REPEATED_BUILD_FAILURES = 2;
/** An agent error is retried once; the second abandons the task. */
const AGENT_ERRORS = 2;
/** Reviews per generation; after them a passing attempt merges on its gates. */
const MAX_REVIEWS = 2;
const BUILD_GATES = ["typecheck", "build", "install"];

/**
 * Attempts for one task until the decision table says stop. Each turn of the
 * loop reads the task's stored attempts, so a job resumed on another worker
 * carries on exactly where the last one stopped: same counts, same retry context.
 */
export async function runAttempts(w: TaskWork): Promise<AttemptsOutcome> {
  const { ctx, task } = w;
  const { pool } = ctx.deps;
  for (;;) {
    const run = await getRun(pool, ctx.run.id);
    if (!run || FINISHED.includes(run.status)) return { kind: "stopped" };
    const all = await taskAttempts(pool, task.id);
    const gen = all.filter((a) => a.generation === task.generation);
    const last = gen.at(-1);
    if (last?.status === "passed" && last.result_commit) {
      const reviewed = gen.filter((a) => a.review).length;
      const wanted = REVIEWED_SIZES.includes(task.size) && reviewed < MAX_REVIEWS;
      if (last.review?.approved || (!last.review && !wanted) || gen.length >= task.max_attempts) {
        return { kind: "passed", attempt: last, commit: last.result_commit };
      }
      if (!last.review) {
        await reviewAttempt(w, last, last.result_commit);
        continue;
      }
    }
    if (gen.filter((a) => a.status === "agent_error").length >= AGENT_ERRORS) {
      return {
        kind: "abandoned",
        reason: `the coder failed twice: ${last?.failure?.output ?? "agent error"}`,
      };
    }
    // A gate whose command does not exist is the repository's setup, not the
    // coder's mistake: retrying would burn attempts on something no coder can fix.
    if (last?.status === "failed" && last.failure?.kind === "gate_missing") {
      const cmd = last.failure.output.split("\n")[0] ?? "";
      return {
        kind: "paused",
        reason: `the ${last.failure.gate} gate's command was not found (${cmd.replace(/: command not found$/, "")}); fix paul.gates.json or the package.json script, or install the tool, then retry`,
      };
    }
    const buildRun = trailing(
      gen,
      (a) => a.status === "failed" && BUILD_GATES.includes(a.failure?.gate ?? ""),
    );
    if (buildRun >= REPEATED_BUILD_FAILURES) {
      return { kind: "paused", reason: `${last?.failure?.gate} failed ${buildRun} times in a row` };
    }
    if (gen.length >= task.max_attempts) {
      return { kind: "paused", reason: `the gates still fail after ${gen.length} attempts` };
    }
    await attempt(w, all, gen.length + 1);
  }
}

/** How many attempts at the end of the list match. */
function trailing(list: AttemptRow[], match: (a: AttemptRow) => boolean): number {
  let n = 0;
  for (let i = list.length - 1; i >= 0 && match(list[i]!); i--) n++;
  return n;
}

async function attempt(w: TaskWork, all: AttemptRow[], n: number): Promise<void> {
  const { ctx, task, g, dir } = w;
  const { pool, cfg } = ctx.deps;
  const startCommit = task.start_commit!;
  // A fresh coder never sees the last coder's broken files.
  await resetWorktree(dir, w.branch, startCommit);
  const escalated = all.some((a) => a.status === "failed" || a.status === "agent_error");
  const model = escalated ? w.models.escalate : w.models.first;
  const previous = all.at(-1);
  const prompt = coderPrompt({
    memories: await ctx.memories(),
    ...(previous ? { previous: retryContext(previous) } : {}),
  });
  const row = await insertAttempt(pool, {
    runId: ctx.run.id,
    taskId: task.id,
    attemptNo: all.length + 1,
    generation: task.generation,
    model,
    startCommit,
    prompt,
  });
  await updateTask(pool, task.id, { status: "in_progress" });
  await emitBoard(pool, ctx.run.id, "status");
  await ctx.progress(`${task.task_key}: attempt ${n} of ${task.max_attempts} (${model})`);
  const { sandbox, env } = sandboxIn(g, dir);
  const tally = attemptUsage(ctx.usage());
  const res = await runAgent({
    client: ctx.deps.model(),
    model,
    role: "coder",
    system: coderSystem(),
    context: w.coderContext,
    prompt,
    tools: coderTools({ root: dir, sandbox, env, timeoutMs: cfg.commandTimeoutMs }),
    output: CoderReportSchema,
    usage: tally.sink,
    signal: ctx.signal,
    onEvent: (e) => {
      if (e.kind === "tool" && e.name !== "submit_result")
        void ctx.progress(`${task.task_key}: ${e.name}`).catch(() => {});
      if (e.kind === "waiting") noticeWaiting(ctx, task.task_key, e.seconds);
    },
  });
  // Stopped from outside (Ctrl-C, cancel): not this attempt's failure.
  ctx.signal.throwIfAborted();
  const touched = await touchedFiles(dir, startCommit);
  const end = (f: Parameters<typeof finishAttempt>[2]) =>
    finishAttempt(pool, row.id, { ...f, usage: tally.totals });
  if (!res.ok) {
    if (isRunLevel(res.error)) throw res.error;
    const output = cfg.redact(res.error.message);
    await end({
      status: "agent_error",
      filesTouched: touched,
      summary: cfg.redact(res.summary),
      failure: { kind: "agent_error", output },
      endedReason: res.error.code,
    });
    return;
  }
  const summary = cfg.redact(res.output.summary);
  const commit = await commitAll(dir, `${task.task_key}: ${task.title}\n\n${summary}`);
  if (!commit) {
    const failure = { kind: "no_changes", output: "The attempt changed no files." };
    await end({
      status: "failed",
      filesTouched: touched,
      summary,
      failure,
      endedReason: "no_changes",
    });
    return;
  }
  await updateTask(pool, task.id, { status: "validating" });
  await emitBoard(pool, ctx.run.id, "status");
  const gates = await runGates(ctx.gates(), dir, {
    timeoutMs: cfg.gateTimeoutMs,
    env,
    sandbox,
    redact: cfg.redact,
    signal: ctx.signal,
    onGate: (gate, state) =>
      void ctx.progress(`${task.task_key}: gate ${gate} ${state}`).catch(() => {}),
  });
  ctx.signal.throwIfAborted();
  for (const r of [...(gates.install ? [gates.install] : []), ...gates.results]) {
    await insertGateResult(pool, {
      runId: ctx.run.id,
      attemptId: row.id,
      scope: "attempt",
      gate: r.gate,
      status: r.status,
      command: r.command,
      output: r.output,
      durationMs: r.durationMs,
    });
  }
  if (gates.passed) {
    // On the remote before the database calls it passed: any worker can review and merge it.
    await push(g, dir, commit, taskRef(ctx.run.id, task.task_key));
    await end({
      status: "passed",
      resultCommit: commit,
      filesTouched: touched,
      summary,
      endedReason: "gates_passed",
    });
    return;
  }
  const failed = [
    ...(gates.install?.status === "failed" ? [gates.install] : []),
    ...gates.results.filter((r) => r.status === "failed"),
  ];
  const missing = failed.find((r) => r.missing);
  const gate =
    missing?.gate ??
    (failed.find((r) => BUILD_GATES.includes(r.gate)) ?? failed[0])?.gate ??
    "test";
  const failure = missing
    ? {
        kind: "gate_missing",
        gate,
        output: `\`${missing.command}\`: command not found\n${missing.output}`,
      }
    : { kind: "gate", gate, output: formatGateFailure(gates) };
  await end({
    status: "failed",
    resultCommit: commit,
    filesTouched: touched,
    summary,
    failure,
    endedReason: missing ? `${gate}_missing` : `${gate}_failed`,
  });
}

/** The run's ledger and budget, with this attempt's own calls added up on the way. */
function attemptUsage(run: UsageSink): { sink: UsageSink; totals: AttemptUsage } {
  const totals: AttemptUsage = {
    calls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0,
  };
  const sink: UsageSink = {
    beforeCall: () => run.beforeCall(),
    async record(u) {
      totals.calls++;
      totals.inputTokens += u.inputTokens;
      totals.outputTokens += u.outputTokens;
      totals.cacheReadTokens += u.cacheReadTokens;
      totals.cacheWriteTokens += u.cacheWriteTokens;
      totals.costUsd += u.costUsd;
      await run.record(u);
    },
  };
  return { sink, totals };
}
