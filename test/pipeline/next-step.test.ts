import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import type { AttemptRow, TaskRow } from "../../src/db/tasks.ts";
import { PaulError } from "../../src/errors.ts";
import type { GateStep } from "../../src/gates/discover.ts";
import {
  type AttemptOutcome,
  type AttemptRecord,
  attemptRecord,
  blamedGate,
  countsAsAttempt,
  decide,
  type FinishStep,
  finishStep,
  type NextStep,
  nextStep,
  type Policy,
  policyOf,
  type TaskState,
  taskState,
  waveStep,
} from "../../src/pipeline/implementation/next-step.ts";

/** Today's defaults, as config gives them. */
const P: Policy = {
  agentErrors: 2,
  buildFailures: 2,
  maxReviews: 2,
  reviewMinSize: "M",
  cheapMaxSize: "S",
  escalateAfter: 1,
  fixTasks: 2,
  fixAttempts: 3,
  models: { cheap: "cheap", strong: "strong" },
};

const state = (over: Partial<TaskState> = {}): TaskState => ({
  size: "S",
  maxAttempts: 5,
  generation: 0,
  attempts: 0,
  total: 0,
  agentErrors: 0,
  buildFailuresInARow: 0,
  reviews: 0,
  failures: 0,
  ...over,
});

const record = (outcome: AttemptOutcome, over: Partial<AttemptRecord> = {}): AttemptRecord => ({
  id: "a1",
  attemptNo: 1,
  generation: 0,
  startCommit: "start",
  filesTouched: ["src/mul.mjs"],
  summary: "did it",
  outcome,
  ...over,
});

const passed = (
  o: { review?: { approved: boolean }; conflict?: string[] } = {},
  over: Partial<AttemptRecord> = {},
) =>
  record(
    {
      kind: "passed",
      commit: "c1",
      review: o.review
        ? {
            approved: o.review.approved,
            requiredChanges: o.review.approved ? [] : ["document it"],
            summary: "review",
          }
        : null,
      conflict: o.conflict ? { files: o.conflict, output: "conflicted" } : null,
    },
    over,
  );
const gateFailed = (gate: string, over: Partial<AttemptRecord> = {}) =>
  record({ kind: "failed", failure: { kind: "gate", gate, output: `${gate} broke` } }, over);
const gateMissing = (gate: string) =>
  record({
    kind: "failed",
    failure: {
      kind: "gate_missing",
      gate,
      output: "`npm run lint`: command not found\nsh: eslint: not found",
    },
  });
const noChanges = () =>
  record({
    kind: "failed",
    failure: { kind: "no_changes", output: "The attempt changed no files." },
  });
const agentError = (over: Partial<AttemptRecord> = {}) =>
  record(
    {
      kind: "agent_error",
      failure: { kind: "agent_error", output: "The coder agent declined the task." },
    },
    over,
  );

const attempt = (n: number, attemptNo: number, model: string, escalated: boolean): NextStep => ({
  kind: "attempt",
  n,
  attemptNo,
  model,
  escalated,
});
const merge = (last: AttemptRecord, why: string) =>
  expect.objectContaining({ kind: "merge", commit: "c1", why, attempt: last });
const review = (last: AttemptRecord) =>
  expect.objectContaining({ kind: "review", commit: "c1", attempt: last });
const pause = (status: string, reason: string) => ({ kind: "pause", status, reason });

const approved = passed({ review: { approved: true } });
const changesRequired = passed({ review: { approved: false } });
const unreviewed = passed();

describe("nextStep: a task's state and its last attempt → what comes next", () => {
  it.each<[string, TaskState, AttemptRecord | undefined, Partial<Policy>, unknown]>([
    // First attempts: the model by size.
    ["an S task starts on the cheap model", state(), undefined, {}, attempt(1, 1, "cheap", false)],
    [
      "an XS task starts on the cheap model",
      state({ size: "XS" }),
      undefined,
      {},
      attempt(1, 1, "cheap", false),
    ],
    [
      "an M task starts on the strong model",
      state({ size: "M" }),
      undefined,
      {},
      attempt(1, 1, "strong", false),
    ],
    [
      "a cheap limit of M starts an M task cheap",
      state({ size: "M" }),
      undefined,
      { cheapMaxSize: "M" },
      attempt(1, 1, "cheap", false),
    ],
    [
      "escalating after 0 failures starts every task strong",
      state({ size: "XS" }),
      undefined,
      { escalateAfter: 0 },
      attempt(1, 1, "strong", true),
    ],
    [
      "a new generation after failures gets a fresh budget, numbered on, escalated",
      state({ generation: 1, total: 2, failures: 2 }),
      undefined,
      {},
      attempt(1, 3, "strong", true),
    ],
    // Gate failures: retried with the error.
    [
      "a test failure is retried on the strong model",
      state({ attempts: 1, total: 1, failures: 1 }),
      gateFailed("test"),
      {},
      attempt(2, 2, "strong", true),
    ],
    [
      "a lint failure is retried; escalating after 2 keeps it cheap",
      state({ attempts: 1, total: 1, failures: 1 }),
      gateFailed("lint"),
      { escalateAfter: 2 },
      attempt(2, 2, "cheap", false),
    ],
    [
      "a test failure out of attempts pauses",
      state({ attempts: 5, total: 5, failures: 5 }),
      gateFailed("test"),
      {},
      pause("failed", "the gates still fail after 5 attempts"),
    ],
    [
      "a single typecheck failure is retried",
      state({ attempts: 1, total: 1, failures: 1, buildFailuresInARow: 1 }),
      gateFailed("typecheck"),
      {},
      attempt(2, 2, "strong", true),
    ],
    [
      "a typecheck failure twice in a row pauses",
      state({ attempts: 2, total: 2, failures: 2, buildFailuresInARow: 2 }),
      gateFailed("typecheck"),
      {},
      pause("failed", "typecheck failed 2 times in a row"),
    ],
    [
      "an install failure twice in a row pauses",
      state({ attempts: 2, total: 2, failures: 2, buildFailuresInARow: 2 }),
      gateFailed("install"),
      {},
      pause("failed", "install failed 2 times in a row"),
    ],
    [
      "with a limit of 3, two build failures in a row are retried",
      state({ attempts: 2, total: 2, failures: 2, buildFailuresInARow: 2 }),
      gateFailed("build"),
      { buildFailures: 3 },
      attempt(3, 3, "strong", true),
    ],
    [
      "a missing gate command pauses at once",
      state({ attempts: 1, total: 1, failures: 1 }),
      gateMissing("lint"),
      {},
      pause(
        "failed",
        "the lint gate's command was not found (`npm run lint`); fix paul.gates.json or the package.json script, or install the tool, then retry",
      ),
    ],
    [
      "an attempt that changed nothing is retried",
      state({ attempts: 1, total: 1, failures: 1 }),
      noChanges(),
      {},
      attempt(2, 2, "strong", true),
    ],
    [
      "an attempt that changed nothing, out of attempts, pauses",
      state({ attempts: 5, total: 5, failures: 5 }),
      noChanges(),
      {},
      pause("failed", "the gates still fail after 5 attempts"),
    ],
    // Agent errors: retried once, then the task is given up.
    [
      "one agent error is retried",
      state({ attempts: 1, total: 1, failures: 1, agentErrors: 1 }),
      agentError(),
      {},
      attempt(2, 2, "strong", true),
    ],
    [
      "a second agent error abandons the task",
      state({ attempts: 2, total: 2, failures: 2, agentErrors: 2 }),
      agentError(),
      {},
      { kind: "abandon", reason: "the coder failed twice: The coder agent declined the task." },
    ],
    [
      "with a limit of 3, the third abandons",
      state({ attempts: 3, total: 3, failures: 3, agentErrors: 3 }),
      agentError(),
      { agentErrors: 3 },
      {
        kind: "abandon",
        reason: "the coder failed 3 times: The coder agent declined the task.",
      },
    ],
    [
      "agent errors abandon even when the attempts are used up too",
      state({ attempts: 5, total: 5, failures: 5, agentErrors: 2 }),
      agentError(),
      {},
      { kind: "abandon", reason: "the coder failed twice: The coder agent declined the task." },
    ],
    // Passing attempts: review, merge, or try again.
    [
      "a passing S task merges on its gates",
      state({ attempts: 1, total: 1 }),
      unreviewed,
      {},
      merge(unreviewed, "not_reviewed"),
    ],
    [
      "a passing M task gets a reviewer pass",
      state({ size: "M", attempts: 1, total: 1 }),
      unreviewed,
      {},
      review(unreviewed),
    ],
    [
      "a passing XL task gets a reviewer pass",
      state({ size: "XL", attempts: 1, total: 1 }),
      unreviewed,
      {},
      review(unreviewed),
    ],
    [
      "a review threshold of L merges an M task unreviewed",
      state({ size: "M", attempts: 1, total: 1 }),
      unreviewed,
      { reviewMinSize: "L" },
      merge(unreviewed, "not_reviewed"),
    ],
    [
      "no reviews at all (max 0) merges an M task unreviewed",
      state({ size: "M", attempts: 1, total: 1 }),
      unreviewed,
      { maxReviews: 0 },
      merge(unreviewed, "not_reviewed"),
    ],
    [
      "an approved attempt merges",
      state({ size: "M", attempts: 1, total: 1, reviews: 1 }),
      approved,
      {},
      merge(approved, "approved"),
    ],
    [
      "required changes make another attempt (not a failure: no escalation)",
      state({ size: "M", attempts: 1, total: 1, reviews: 1 }),
      changesRequired,
      {},
      attempt(2, 2, "strong", false),
    ],
    [
      "required changes on an S task reviewed anyway go back to the cheap model",
      state({ size: "S", attempts: 1, total: 1, reviews: 1 }),
      changesRequired,
      { reviewMinSize: "XS" },
      attempt(2, 2, "cheap", false),
    ],
    [
      "required changes with no attempts left merge on the gates",
      state({ size: "M", attempts: 5, total: 5, reviews: 1 }),
      changesRequired,
      {},
      merge(changesRequired, "out_of_attempts"),
    ],
    [
      "after the last review a passing attempt merges unreviewed",
      state({ size: "M", attempts: 3, total: 3, reviews: 2 }),
      unreviewed,
      {},
      merge(unreviewed, "not_reviewed"),
    ],
    [
      "a review wanted but no attempts left merges unreviewed",
      state({ size: "M", attempts: 5, total: 5 }),
      unreviewed,
      {},
      merge(unreviewed, "out_of_attempts"),
    ],
    // A merge that conflicted.
    [
      "a merge conflict pauses, naming the files",
      state({ attempts: 1, total: 1 }),
      passed({ conflict: ["src/add.mjs", "src/b.mjs"] }),
      {},
      pause("conflict", "conflict in src/add.mjs, src/b.mjs with work merged since it started"),
    ],
    [
      "a merge conflict after an approval still pauses",
      state({ size: "M", attempts: 1, total: 1, reviews: 1 }),
      passed({ review: { approved: true }, conflict: [] }),
      {},
      pause("conflict", "conflict in the feature branch with work merged since it started"),
    ],
  ])("%s", (_what, s, last, policy, expected) => {
    expect(nextStep(s, last, { ...P, ...policy })).toEqual(expected);
  });
});

describe("taskState: a task's attempts added up", () => {
  const facts = { size: "S" as const, maxAttempts: 5, generation: 1 };
  const history = [
    gateFailed("typecheck", { id: "1", generation: 0 }),
    agentError({ id: "2", generation: 0 }),
    passed({ conflict: ["x"] }, { id: "3", generation: 0 }),
    gateFailed("build", { id: "4", generation: 1 }),
    gateFailed("test", { id: "5", generation: 1 }),
    passed({ review: { approved: false } }, { id: "6", generation: 1 }),
    agentError({ id: "7", generation: 1 }),
    gateFailed("typecheck", { id: "8", generation: 1 }),
    gateFailed("install", { id: "9", generation: 1 }),
  ];

  it("counts this generation's attempts, agent errors, reviews and trailing build failures; failures of every generation", () => {
    expect(taskState(facts, history)).toEqual({
      ...facts,
      attempts: 6,
      total: 9,
      agentErrors: 1,
      buildFailuresInARow: 2,
      reviews: 1,
      failures: 7,
    });
  });

  it("decides on the current generation's last attempt", () => {
    expect(decide(facts, history, P)).toEqual(pause("failed", "install failed 2 times in a row"));
    // The previous generation's conflict is not this generation's concern.
    expect(decide(facts, history.slice(0, 3), P)).toEqual(attempt(1, 4, "strong", true));
  });
});

describe("attemptRecord: what a resumed job rebuilds from a stored attempt", () => {
  const row = (over: Partial<AttemptRow>): AttemptRow => ({
    id: "9",
    run_id: "r",
    task_id: "t",
    attempt_no: 3,
    generation: 1,
    model: "m",
    status: "passed",
    start_commit: "s",
    result_commit: "c",
    files_touched: ["a"],
    summary: null,
    prompt: null,
    failure: null,
    review: null,
    usage: null,
    ended_reason: null,
    started_at: new Date(0),
    finished_at: null,
    ...over,
  });

  it("reads a passed attempt with its review and a merge conflict noted on it", () => {
    const r = attemptRecord(
      row({
        review: { approved: true, requiredChanges: [], summary: "ok" },
        failure: { kind: "merge_conflict", output: "conflicted", files: ["a"] },
      }),
    );
    expect(r).toEqual({
      id: "9",
      attemptNo: 3,
      generation: 1,
      startCommit: "s",
      filesTouched: ["a"],
      summary: "",
      outcome: {
        kind: "passed",
        commit: "c",
        review: { approved: true, requiredChanges: [], summary: "ok" },
        conflict: { files: ["a"], output: "conflicted" },
      },
    });
  });

  it("reads failures and agent errors", () => {
    const failure = { kind: "gate", gate: "test", output: "x" };
    expect(attemptRecord(row({ status: "failed", failure })).outcome).toEqual({
      kind: "failed",
      failure,
    });
    expect(attemptRecord(row({ status: "agent_error", failure })).outcome.kind).toBe("agent_error");
  });

  it("refuses what does not count, or a row that breaks the rules, as a bug", () => {
    for (const bad of [
      row({ status: "discarded" }),
      row({ status: "running" }),
      row({ status: "passed", result_commit: null }),
      row({ status: "failed", failure: null }),
    ]) {
      let err: unknown;
      try {
        attemptRecord(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PaulError);
      expect(err).toMatchObject({ code: "invariant", retryable: false });
    }
  });

  it("counts every attempt but a discarded one", () => {
    const statuses = ["running", "passed", "failed", "agent_error", "discarded"] as const;
    expect(statuses.filter((status) => countsAsAttempt({ status }))).toEqual([
      "running",
      "passed",
      "failed",
      "agent_error",
    ]);
  });
});

describe("blamedGate: the gate a failure is told under", () => {
  it.each<[string, { gate: GateStep; missing: boolean }[], GateStep]>([
    [
      "a missing command first",
      [
        { gate: "test", missing: false },
        { gate: "typecheck", missing: false },
        { gate: "lint", missing: true },
      ],
      "lint",
    ],
    [
      "then a build step",
      [
        { gate: "test", missing: false },
        { gate: "build", missing: false },
      ],
      "build",
    ],
    [
      "then the first",
      [
        { gate: "lint", missing: false },
        { gate: "test", missing: false },
      ],
      "lint",
    ],
  ])("%s", (_what, failed, gate) => {
    expect(blamedGate(failed)?.gate).toBe(gate);
  });
});

type T = Pick<TaskRow, "task_key" | "wave" | "status" | "reason">;
const t = (task_key: string, wave: number, status: TaskRow["status"]): T => ({
  task_key,
  wave,
  status,
  reason: null,
});

describe("waveStep: after a wave's tasks", () => {
  it.each<[string, T[], number, unknown]>([
    ["a task still working: wait", [t("T1", 1, "merged"), t("T2", 1, "in_progress")], 1, "wait"],
    [
      "a task waiting for a person: wait",
      [t("T1", 1, "failed"), t("T2", 1, "abandoned"), t("T3", 2, "pending")],
      1,
      "wait",
    ],
    ["every task abandoned: pause", [t("T1", 1, "abandoned"), t("T2", 2, "pending")], 1, "pause"],
    [
      "abandoned and skipped, none merged: pause",
      [t("T1", 1, "abandoned"), t("T2", 1, "skipped")],
      1,
      "pause",
    ],
    [
      "one merged and one abandoned: the next wave",
      [t("T1", 1, "merged"), t("T2", 1, "abandoned"), t("T3", 3, "pending")],
      1,
      { kind: "next", wave: 3 },
    ],
    [
      "every task skipped: the next wave",
      [t("T1", 1, "skipped"), t("T2", 2, "pending")],
      1,
      {
        kind: "next",
        wave: 2,
      },
    ],
    ["the last wave done: finish", [t("T1", 1, "merged"), t("T2", 2, "blocked")], 2, "finish"],
  ])("%s", (_what, tasks, wave, expected) => {
    const step = waveStep(tasks, wave);
    if (typeof expected === "string") expect(step.kind).toBe(expected);
    else expect(step).toEqual(expected);
    if (step.kind === "pause") expect(step.failed.map((x) => x.task_key)).toEqual(["T1"]);
  });
});

type F = Pick<TaskRow, "task_key" | "kind" | "status">;
const task = (task_key: string, status: TaskRow["status"], kind: F["kind"] = "task"): F => ({
  task_key,
  kind,
  status,
});
const gates = (commit: string, ...results: [string, "passed" | "failed"][]) => ({
  commit,
  passed: results.every(([, s]) => s === "passed"),
  results: results.map(([gate, status]) => ({ gate, status, output: `${gate} ${status}` })),
});

describe("finishStep: after the last wave", () => {
  it.each<[string, F[], ReturnType<typeof gates> | null, Partial<Policy>, FinishStep]>([
    [
      "nothing merged: the run fails",
      [task("T1", "skipped"), task("T2", "blocked")],
      null,
      {},
      {
        kind: "fail",
        message:
          "No implementation task was merged (T1 skipped, T2 blocked), so there is nothing to open a pull request for.",
        hint: "start a new run with a narrower feature, or a different approach",
      },
    ],
    ["no full gates yet: run them", [task("T1", "merged")], null, {}, { kind: "run_gates" }],
    [
      "full gates of an older feature commit: run them again",
      [task("T1", "merged")],
      gates("old", ["test", "passed"]),
      {},
      { kind: "run_gates" },
    ],
    [
      "all pass: ask for the PR",
      [task("T1", "merged")],
      gates("f", ["install", "passed"], ["test", "passed"]),
      {},
      { kind: "offer_pr", prompt: "All gates pass. Create PR?" },
    ],
    [
      "no gates: say nothing was verified",
      [task("T1", "merged")],
      gates("f"),
      {},
      {
        kind: "offer_pr",
        prompt: "The repository has no gates, so nothing was verified. Create PR?",
      },
    ],
    [
      "failing: a fix task",
      [task("T1", "merged")],
      gates("f", ["test", "passed"], ["lint", "failed"]),
      {},
      {
        kind: "fix",
        failing: [{ gate: "lint", status: "failed", output: "lint failed" }],
        maxAttempts: 3,
      },
    ],
    [
      "failing after one merged fix: a second fix task, with the configured attempts",
      [task("T1", "merged"), task("F1", "merged", "fix")],
      gates("f", ["lint", "failed"]),
      { fixAttempts: 5 },
      {
        kind: "fix",
        failing: [{ gate: "lint", status: "failed", output: "lint failed" }],
        maxAttempts: 5,
      },
    ],
    [
      "failing after two fixes: ask, naming the gates",
      [task("T1", "merged"), task("F1", "merged", "fix"), task("F2", "merged", "fix")],
      gates("f", ["install", "failed"], ["lint", "failed"]),
      {},
      {
        kind: "offer_pr",
        prompt:
          "The full gates fail on the feature branch (install, lint) and no fix task could repair them. Create PR anyway?",
      },
    ],
    [
      "failing after a fix that was skipped: ask",
      [task("T1", "merged"), task("F1", "skipped", "fix")],
      gates("f", ["lint", "failed"]),
      {},
      {
        kind: "offer_pr",
        prompt:
          "The full gates fail on the feature branch (lint) and no fix task could repair them. Create PR anyway?",
      },
    ],
    [
      "failing with fix tasks turned off: ask",
      [task("T1", "merged")],
      gates("f", ["test", "failed"]),
      { fixTasks: 0 },
      {
        kind: "offer_pr",
        prompt:
          "The full gates fail on the feature branch (test) and no fix task could repair them. Create PR anyway?",
      },
    ],
  ])("%s", (_what, tasks, integration, policy, expected) => {
    expect(finishStep({ tasks, featureCommit: "f", integration }, { ...P, ...policy })).toEqual(
      expected,
    );
  });
});

describe("the thresholds come from config", () => {
  it("defaults to today's behaviour", () => {
    const cfg = loadConfig({ PAUL_MODEL_CODER_CHEAP: "c", PAUL_MODEL_CODER_STRONG: "s" }, "read");
    expect(policyOf(cfg)).toEqual({ ...P, models: { cheap: "c", strong: "s" } });
  });

  it("reads every threshold from its variable", () => {
    const cfg = loadConfig(
      {
        PAUL_TASK_AGENT_ERRORS: "3",
        PAUL_TASK_BUILD_FAILURES: "4",
        PAUL_TASK_MAX_REVIEWS: "0",
        PAUL_REVIEW_MIN_SIZE: "L",
        PAUL_CODER_CHEAP_MAX_SIZE: "XS",
        PAUL_CODER_ESCALATE_AFTER: "0",
        PAUL_FIX_TASKS: "1",
        PAUL_FIX_MAX_ATTEMPTS: "7",
      },
      "read",
    );
    expect(cfg.implementation).toEqual({
      agentErrors: 3,
      buildFailures: 4,
      maxReviews: 0,
      reviewMinSize: "L",
      cheapMaxSize: "XS",
      escalateAfter: 0,
      fixTasks: 1,
      fixAttempts: 7,
    });
  });

  it("names a malformed one", () => {
    expect(() => loadConfig({ PAUL_REVIEW_MIN_SIZE: "XXL" }, "read")).toThrow(
      /PAUL_REVIEW_MIN_SIZE: is not valid[\s\S]*example: PAUL_REVIEW_MIN_SIZE=M/,
    );
  });
});
