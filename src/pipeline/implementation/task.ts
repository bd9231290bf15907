import { coderTools, runAgent, type UsageSink } from "../../agents/index.ts";
import {
  type AttemptFailure,
  type AttemptUsage,
  finishAttempt,
  insertAttempt,
  insertGateResult,
  type TaskRow,
  updateTask,
} from "../../db/tasks.ts";
import { formatGateFailure, type GateResult, runGates } from "../../gates/run.ts";
import { commitAll, resetWorktree, touchedFiles } from "../../workspace/worktree.ts";
import { noticeWaiting } from "../agent.ts";
import type { PhaseContext } from "../context.ts";
import { emitBoard } from "./board.ts";
import {
  type AttemptOutcome,
  type AttemptRecord,
  blamedGate,
  isRunLevel,
  type NextStep,
} from "./next-step.ts";
import { coderPrompt, coderSystem } from "./prompt.ts";
import { retryContext } from "./retry.ts";
import { CoderReportSchema } from "./schema.ts";
import { push, type RunGit, sandboxIn, taskRef } from "./workspace.ts";

export interface TaskWork {
  ctx: PhaseContext;
  g: RunGit;
  task: TaskRow;
  /** The commit every attempt of this generation starts from. */
  startCommit: string;
  dir: string;
  branch: string;
  coderContext: string;
}

/**
 * What one attempt returns: its record (what the next decision reads) and
 * what it ran and cost. Its rows are written on the way, for history and the
 * board; nothing is read back to decide.
 */
export interface AttemptResult extends AttemptRecord {
  model: string;
  /** The install step (when there is one) and every gate, as they ran; none when the coder failed or changed nothing. */
  gates: GateResult[];
  usage: AttemptUsage;
}

/**
 * One coder attempt from a clean worktree at the task's starting commit,
 * then the gates on its commit. A stop from outside (Ctrl-C, cancel) or an
 * error that is the run's, not the agent's, is thrown: the attempt is left
 * running and discarded by whichever job takes the task up again.
 */
export async function runAttempt(
  w: TaskWork,
  step: Extract<NextStep, { kind: "attempt" }>,
  previous: AttemptRecord | undefined,
): Promise<AttemptResult> {
  const { ctx, task, g, dir, startCommit } = w;
  const { pool, cfg } = ctx.deps;
  const { model } = step;
  // A fresh coder never sees the last coder's broken files.
  await resetWorktree(dir, w.branch, startCommit);
  const prompt = coderPrompt({
    memories: await ctx.memories(),
    ...(previous ? { previous: retryContext(previous) } : {}),
  });
  const row = await insertAttempt(pool, {
    runId: ctx.run.id,
    taskId: task.id,
    attemptNo: step.attemptNo,
    generation: task.generation,
    model,
    startCommit,
    prompt,
  });
  await updateTask(pool, task.id, { status: "in_progress" });
  await emitBoard(pool, ctx.run.id, "status");
  await ctx.progress(`${task.task_key}: attempt ${step.n} of ${task.max_attempts} (${model})`);
  const { sandbox, env } = sandboxIn(g, dir, ctx.gates());
  const tally = attemptUsage(ctx.usage());
  // A progress line is a notice: one lost to a database blip loses nothing the
  // run needs (the attempt's own rows are written awaited), and an event
  // handler must not throw into the agent loop.
  const notice = (message: string) => void ctx.progress(message).catch(() => {});
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
      if (e.kind === "tool" && e.name !== "submit_result") notice(`${task.task_key}: ${e.name}`);
      if (e.kind === "waiting") noticeWaiting(ctx, task.task_key, e.seconds);
    },
  });
  // Stopped from outside (Ctrl-C, cancel): not this attempt's failure.
  ctx.signal.throwIfAborted();
  const filesTouched = await touchedFiles(dir, startCommit);
  /** Stores how the attempt ended and returns it. */
  const end = async (
    i: { summary: string; commit: string | null; gates: GateResult[]; endedReason: string },
    outcome: AttemptOutcome,
  ): Promise<AttemptResult> => {
    await finishAttempt(pool, row.id, {
      status: outcome.kind,
      resultCommit: i.commit,
      filesTouched,
      summary: i.summary,
      ...(outcome.kind === "passed" ? {} : { failure: outcome.failure }),
      endedReason: i.endedReason,
      usage: tally.totals,
    });
    return {
      id: row.id,
      attemptNo: step.attemptNo,
      generation: task.generation,
      startCommit,
      filesTouched,
      summary: i.summary,
      outcome,
      model,
      gates: i.gates,
      usage: tally.totals,
    };
  };
  if (!res.ok) {
    if (isRunLevel(res.error)) throw res.error;
    const failure = { kind: "agent_error", output: cfg.redact(res.error.message) };
    return end(
      { summary: cfg.redact(res.summary), commit: null, gates: [], endedReason: res.error.code },
      { kind: "agent_error", failure },
    );
  }
  const summary = cfg.redact(res.output.summary);
  const commit = await commitAll(dir, `${task.task_key}: ${task.title}\n\n${summary}`);
  if (!commit) {
    const failure = { kind: "no_changes", output: "The attempt changed no files." };
    return end(
      { summary, commit: null, gates: [], endedReason: "no_changes" },
      { kind: "failed", failure },
    );
  }
  await updateTask(pool, task.id, { status: "validating" });
  await emitBoard(pool, ctx.run.id, "status");
  const run = await runGates(ctx.gates(), dir, {
    timeoutMs: cfg.gateTimeoutMs,
    env,
    sandbox,
    redact: cfg.redact,
    signal: ctx.signal,
    onGate: (gate, state) => notice(`${task.task_key}: gate ${gate} ${state}`),
  });
  ctx.signal.throwIfAborted();
  const gates = [...(run.install ? [run.install] : []), ...run.results];
  for (const r of gates) {
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
  if (run.passed) {
    // On the remote before the database calls it passed: any worker can review and merge it.
    await push(g, dir, commit, taskRef(ctx.run.id, task.task_key));
    return end(
      { summary, commit, gates, endedReason: "gates_passed" },
      { kind: "passed", commit, review: null, conflict: null },
    );
  }
  const blamed = blamedGate(gates.filter((r) => r.status === "failed"));
  const gate = blamed?.gate ?? "test";
  const failure: AttemptFailure = blamed?.missing
    ? {
        kind: "gate_missing",
        gate,
        output: `\`${blamed.command}\`: command not found\n${blamed.output}`,
      }
    : { kind: "gate", gate, output: formatGateFailure(run) };
  return end(
    { summary, commit, gates, endedReason: blamed?.missing ? `${gate}_missing` : `${gate}_failed` },
    { kind: "failed", failure },
  );
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
