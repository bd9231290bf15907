import type { Config } from "../../config.ts";
import type { IntegrationRun } from "../../db/plans.ts";
import {
  type AttemptFailure,
  type AttemptRow,
  type Review,
  TASK_DONE,
  type TaskRow,
} from "../../db/tasks.ts";
import { invariant } from "../../errors.ts";
import type { GateStep } from "../../gates/discover.ts";
import { SIZES, type Size, SizeSchema } from "./plan.ts";

/**
 * Every decision of the implementation, pure: a task's state and its last
 * attempt → what to do next; the wave as it stands → what comes after it; the
 * full gates on the feature branch → a fix task or the PR question. The
 * thresholds come from config (`cfg.implementation`); the callers (task-job.ts,
 * advance.ts, finish.ts) only carry the step out. Tested as a table in
 * test/pipeline/next-step.test.ts.
 */

type Thresholds = Config["implementation"];

/** The thresholds and models the decisions use: `policyOf(cfg)`. */
export interface Policy extends Thresholds {
  models: { cheap: string; strong: string };
}

export function policyOf(cfg: Config): Policy {
  return {
    ...cfg.implementation,
    models: { cheap: cfg.models.coderCheap, strong: cfg.models.coderStrong },
  };
}

// ─── attempts ───────────────────────────────────────────────────────────────

/**
 * What counts as an attempt, everywhere (the budget of a task, the numbers on
 * the board, the result's totals): every attempt a coder started, except one a
 * dead worker left half done, which is discarded.
 */
export function countsAsAttempt(a: Pick<AttemptRow, "status">): boolean {
  return a.status !== "discarded";
}

/** How an attempt ended, as the decisions see it. */
export type AttemptOutcome =
  /** The gates passed on `commit`; then the reviewer's verdict and the merge's conflict, when they came. */
  | { kind: "passed"; commit: string; review: Review | null; conflict: Conflict | null }
  /** A gate failed (or its command is missing), or the coder changed nothing. */
  | { kind: "failed"; failure: AttemptFailure }
  /** The agent itself failed: a refusal, invalid output, too many turns. */
  | { kind: "agent_error"; failure: AttemptFailure };

export interface Conflict {
  files: string[];
  /** What the next coder is told about it. */
  output: string;
}

/**
 * One attempt of a task: what an attempt returns, and what a resumed job
 * rebuilds from its stored row (`attemptRecord`), so both decide alike.
 */
export interface AttemptRecord {
  id: string;
  /** Across every generation of the task. */
  attemptNo: number;
  generation: number;
  startCommit: string;
  filesTouched: string[];
  summary: string;
  outcome: AttemptOutcome;
}

/** A stored attempt that counts, as a record. */
export function attemptRecord(row: AttemptRow): AttemptRecord {
  const base = {
    id: row.id,
    attemptNo: row.attempt_no,
    generation: row.generation,
    startCommit: row.start_commit,
    filesTouched: row.files_touched,
    summary: row.summary ?? "",
  };
  switch (row.status) {
    case "passed": {
      invariant(row.result_commit, `passed attempt ${row.id} has no commit`);
      const f = row.failure;
      const conflict =
        f?.kind === "merge_conflict" ? { files: f.files ?? [], output: f.output } : null;
      return {
        ...base,
        outcome: { kind: "passed", commit: row.result_commit, review: row.review, conflict },
      };
    }
    case "failed":
    case "agent_error":
      invariant(row.failure, `${row.status} attempt ${row.id} has no failure`);
      return { ...base, outcome: { kind: row.status, failure: row.failure } };
    case "running":
    case "discarded":
      invariant(false, `attempt ${row.id} is ${row.status}: it does not count`);
  }
}

/** The facts of a task the decisions need: from its row. */
export interface TaskFacts {
  size: Size;
  maxAttempts: number;
  generation: number;
}

export function taskFacts(
  t: Pick<TaskRow, "task_key" | "size" | "max_attempts" | "generation">,
): TaskFacts {
  const size = SizeSchema.safeParse(t.size);
  invariant(size.success, `task ${t.task_key} has an unknown size ${t.size}`);
  return { size: size.data, maxAttempts: t.max_attempts, generation: t.generation };
}

/** A task's attempts added up: what its next step is decided on, besides the last attempt. */
export interface TaskState extends TaskFacts {
  /** Attempts of this generation (a retry from a pause starts a new one with a fresh budget). */
  attempts: number;
  /** Attempts of every generation: the next one is number total + 1. */
  total: number;
  /** Agent errors in this generation. */
  agentErrors: number;
  /** Typecheck, build or install failures at the end of this generation, in a row. */
  buildFailuresInARow: number;
  /** Reviewer passes in this generation. */
  reviews: number;
  /** Failed attempts and agent errors of every generation: they escalate the model. */
  failures: number;
}

/** Gates whose failure a coder rarely fixes by trying again: twice in a row needs a person. */
const BUILD_STEPS: readonly GateStep[] = ["typecheck", "build", "install"];
const isBuildStep = (gate: string | undefined) => BUILD_STEPS.some((s) => s === gate);

const isBuildFailure = (a: AttemptRecord) =>
  a.outcome.kind === "failed" && isBuildStep(a.outcome.failure.gate);

/** A task's state from its attempts that count, oldest first. */
export function taskState(facts: TaskFacts, history: readonly AttemptRecord[]): TaskState {
  const gen = history.filter((a) => a.generation === facts.generation);
  let buildFailuresInARow = 0;
  for (let i = gen.length - 1; i >= 0; i--) {
    const a = gen[i];
    if (!a || !isBuildFailure(a)) break;
    buildFailuresInARow++;
  }
  return {
    ...facts,
    attempts: gen.length,
    total: history.length,
    agentErrors: gen.filter((a) => a.outcome.kind === "agent_error").length,
    buildFailuresInARow,
    reviews: gen.filter((a) => a.outcome.kind === "passed" && a.outcome.review).length,
    failures: history.filter((a) => a.outcome.kind !== "passed").length,
  };
}

/** The last attempt of the task's current generation. */
export function lastAttempt(
  facts: Pick<TaskFacts, "generation">,
  history: readonly AttemptRecord[],
): AttemptRecord | undefined {
  return history.filter((a) => a.generation === facts.generation).at(-1);
}

export type PassedAttempt = AttemptRecord & { outcome: { kind: "passed" } };

/** What a task does next. */
export type NextStep =
  /** Another coder attempt: the n-th of this generation, number attemptNo of the task. */
  | { kind: "attempt"; n: number; attemptNo: number; model: string; escalated: boolean }
  /** A reviewer pass on the passing attempt. */
  | { kind: "review"; attempt: PassedAttempt; commit: string }
  /** Merge the passing attempt's commit into the feature branch. */
  | {
      kind: "merge";
      attempt: PassedAttempt;
      commit: string;
      why: "approved" | "not_reviewed" | "out_of_attempts";
    }
  /** Wait for a person; the task shows `status` ("failed" or "conflict") and the reason. */
  | { kind: "pause"; status: "failed" | "conflict"; reason: string }
  /** Give the task up: what depends on it is blocked. */
  | { kind: "abandon"; reason: string };

const rank = (s: Size) => SIZES.indexOf(s);

function isPassed(a: AttemptRecord | undefined): a is PassedAttempt {
  return a?.outcome.kind === "passed";
}

/**
 * The decision table of one task (README → Implementation):
 *
 * | last attempt | next |
 * | --- | --- |
 * | passed, merge conflicted | pause (conflict) |
 * | passed, reviewer approved; or no review wanted; or out of attempts | merge |
 * | passed, review wanted and not done yet | review |
 * | agent errors in this generation reach `agentErrors` | abandon |
 * | a gate's command is missing | pause |
 * | typecheck/build/install failed `buildFailures` times in a row | pause |
 * | out of attempts | pause |
 * | anything else (a failed gate, no changes, an agent error, required changes, none yet) | attempt |
 *
 * Review is wanted for tasks of `reviewMinSize` and larger, `maxReviews` times
 * per generation. An attempt starts on the cheap model for tasks up to
 * `cheapMaxSize` and on the strong one after `escalateAfter` failures.
 */
export function nextStep(s: TaskState, last: AttemptRecord | undefined, p: Policy): NextStep {
  if (isPassed(last)) {
    const { commit, review, conflict } = last.outcome;
    if (conflict) {
      const where = conflict.files.length > 0 ? conflict.files.join(", ") : "the feature branch";
      return {
        kind: "pause",
        status: "conflict",
        reason: `conflict in ${where} with work merged since it started`,
      };
    }
    const wanted = rank(s.size) >= rank(p.reviewMinSize) && s.reviews < p.maxReviews;
    if (review?.approved) return { kind: "merge", attempt: last, commit, why: "approved" };
    if (!review && !wanted) return { kind: "merge", attempt: last, commit, why: "not_reviewed" };
    if (s.attempts >= s.maxAttempts)
      return { kind: "merge", attempt: last, commit, why: "out_of_attempts" };
    if (!review) return { kind: "review", attempt: last, commit };
    // The reviewer required changes: they are the next attempt's task.
  }
  if (s.agentErrors >= p.agentErrors) {
    const why = last?.outcome.kind === "agent_error" ? last.outcome.failure.output : "agent error";
    const times = p.agentErrors === 2 ? "twice" : `${p.agentErrors} times`;
    return { kind: "abandon", reason: `the coder failed ${times}: ${why}` };
  }
  // A gate whose command does not exist is the repository's setup, not the
  // coder's mistake: retrying would burn attempts on something no coder can fix.
  if (last?.outcome.kind === "failed" && last.outcome.failure.kind === "gate_missing") {
    const f = last.outcome.failure;
    const cmd = (f.output.split("\n")[0] ?? "").replace(/: command not found$/, "");
    return {
      kind: "pause",
      status: "failed",
      reason: `the ${f.gate} gate's command was not found (${cmd}); fix paul.gates.json or the package.json script, or install the tool, then retry`,
    };
  }
  if (s.buildFailuresInARow >= p.buildFailures) {
    const gate = last?.outcome.kind === "failed" ? last.outcome.failure.gate : undefined;
    return {
      kind: "pause",
      status: "failed",
      reason: `${gate} failed ${s.buildFailuresInARow} times in a row`,
    };
  }
  if (s.attempts >= s.maxAttempts) {
    return {
      kind: "pause",
      status: "failed",
      reason: `the gates still fail after ${s.attempts} attempts`,
    };
  }
  const escalated = s.failures >= p.escalateAfter;
  const cheap = !escalated && rank(s.size) <= rank(p.cheapMaxSize);
  return {
    kind: "attempt",
    n: s.attempts + 1,
    attemptNo: s.total + 1,
    model: cheap ? p.models.cheap : p.models.strong,
    escalated,
  };
}

/** The next step of a task from its stored facts and its attempts that count. */
export function decide(facts: TaskFacts, history: readonly AttemptRecord[], p: Policy): NextStep {
  return nextStep(taskState(facts, history), lastAttempt(facts, history), p);
}

/**
 * The gate an attempt's failure is told under: a missing command first (a
 * person must fix it), then a build step (it breaks everything after it),
 * then the first that failed.
 */
export function blamedGate<T extends { gate: GateStep; missing: boolean }>(
  failed: readonly T[],
): T | undefined {
  return failed.find((r) => r.missing) ?? failed.find((r) => isBuildStep(r.gate)) ?? failed[0];
}

/** Errors that are the run's problem (budget, key, cancellation, a flaky API), not the agent's. */
export function isRunLevel(e: { code: string; retryable: boolean }): boolean {
  return ["budget_exhausted", "model_auth", "cancelled"].includes(e.code) || e.retryable;
}

// ─── waves ──────────────────────────────────────────────────────────────────

type WaveTask = Pick<TaskRow, "task_key" | "wave" | "status" | "reason">;

export type WaveStep<T extends WaveTask = WaveTask> =
  /** A task of the wave is still working, or waits for a person. */
  | { kind: "wait" }
  /** Every task of the wave that ended was abandoned and none merged: ask a person. */
  | { kind: "pause"; failed: T[] }
  | { kind: "next"; wave: number }
  /** That was the last wave: the full gates come next. */
  | { kind: "finish" };

/** After a wave's tasks: wait, ask, open the next wave, or finish. */
export function waveStep<T extends WaveTask>(tasks: readonly T[], wave: number): WaveStep<T> {
  const current = tasks.filter((t) => t.wave === wave);
  if (current.some((t) => !TASK_DONE.includes(t.status))) return { kind: "wait" };
  const failed = current.filter((t) => t.status === "abandoned");
  if (failed.length > 0 && !current.some((t) => t.status === "merged")) {
    return { kind: "pause", failed };
  }
  const later = tasks.filter((t) => t.wave > wave).map((t) => t.wave);
  if (later.length === 0) return { kind: "finish" };
  return { kind: "next", wave: Math.min(...later) };
}

// ─── the full gates ─────────────────────────────────────────────────────────

export type FinishStep =
  /** Nothing merged: there is nothing to open a pull request for. */
  | { kind: "fail"; message: string; hint: string }
  /** The full gates have not run on the feature branch as it is. */
  | { kind: "run_gates" }
  /** They fail: one more wave with a fix task of `maxAttempts` attempts. */
  | { kind: "fix"; failing: IntegrationRun["results"]; maxAttempts: number }
  /** Ask for the PR, saying what the gates showed. */
  | { kind: "offer_pr"; prompt: string };

/**
 * After the last wave. A fix task is planned while the run has had fewer than
 * `fixTasks` and every earlier one merged; otherwise the person is asked,
 * told plainly when the gates fail or when there were none.
 */
export function finishStep(
  i: {
    tasks: readonly Pick<TaskRow, "task_key" | "kind" | "status">[];
    featureCommit: string;
    integration: IntegrationRun | null;
  },
  p: Pick<Policy, "fixTasks" | "fixAttempts">,
): FinishStep {
  if (!i.tasks.some((t) => t.status === "merged")) {
    const left = i.tasks.map((t) => `${t.task_key} ${t.status}`).join(", ");
    return {
      kind: "fail",
      message: `No implementation task was merged (${left}), so there is nothing to open a pull request for.`,
      hint: "start a new run with a narrower feature, or a different approach",
    };
  }
  const gates = i.integration;
  if (gates?.commit !== i.featureCommit) return { kind: "run_gates" };
  const fixes = i.tasks.filter((t) => t.kind === "fix");
  const fixable = fixes.length < p.fixTasks && fixes.every((t) => t.status === "merged");
  const failing = gates.results.filter((r) => r.status === "failed");
  if (!gates.passed && fixable) {
    return { kind: "fix", failing, maxAttempts: p.fixAttempts };
  }
  const prompt =
    failing.length > 0
      ? `The full gates fail on the feature branch (${failing.map((r) => r.gate).join(", ")}) and no fix task could repair them. Create PR anyway?`
      : gates.results.length === 0
        ? "The repository has no gates, so nothing was verified. Create PR?"
        : "All gates pass. Create PR?";
  return { kind: "offer_pr", prompt };
}
