import { afterAll, describe, expect, it } from "vitest";
import type { PauseCtaRow } from "../../src/db/plans.ts";
import { createTestDb } from "../support/db.ts";
import { removeFixtures } from "../support/git-fixtures.ts";
import { MUL, MUL_WRONG, SUB } from "./fixtures.ts";
import { coderPrompts, harness, perAttempt, task, writes } from "./harness.ts";

afterAll(removeFixtures);
const db = await createTestDb();

describe("decisions on failure", () => {
  it("a test failure is retried with the error, again and again, without pausing", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [task("T1", { files: ["src/mul.mjs", "test/mul.test.mjs"] })],
        coders: {
          T1: perAttempt(
            writes(MUL_WRONG, "mul as a sum"),
            writes(MUL_WRONG, "mul as a sum"),
            writes(MUL),
          ),
        },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("waiting");
    const attempts = await h.attempts();
    expect(attempts.map((a) => a.ended_reason)).toEqual([
      "test_failed",
      "test_failed",
      "gates_passed",
    ]);
    const retry = coderPrompts(h.calls, "T1")[1]!;
    expect(retry).toContain("This is a retry. Attempt 1 failed");
    expect(retry).toContain(
      "Files the previous attempt touched:\n- src/mul.mjs\n- test/mul.test.mjs",
    );
    expect(retry).toContain("Its final summary:\nmul as a sum");
    expect(retry).toMatch(
      /Failing gate output:\n### test failed[\s\S]*5 !== 6|Failing gate output:\n### test failed[\s\S]*Expected values to be strictly equal/,
    );
    expect(retry).toContain("Do NOT repeat these patterns:\n- leaving the test gate failing");
    expect(attempts[0]!.failure!.output.length).toBeLessThanOrEqual(8000);
  });

  it("a lint failure is retried with the linter's error", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [task("T1", { files: ["src/mul.mjs", "test/mul.test.mjs"] })],
        coders: {
          T1: perAttempt(
            writes({
              ...MUL,
              "src/mul.mjs": "export function mul(a, b) {\n  var r = a * b;\n  return r;\n}\n",
            }),
            writes(MUL),
          ),
        },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("waiting");
    expect((await h.attempts()).map((a) => a.ended_reason)).toEqual([
      "lint_failed",
      "gates_passed",
    ]);
    expect(coderPrompts(h.calls, "T1")[1]).toContain("src/mul.mjs:2: use let or const, not var");
  });

  it("a repeated typecheck failure pauses; skipping the task blocks what depends on it and the rest goes on", async () => {
    const broken = { "src/mul.mjs": "export function mul(a, b) {\n  return a * ;\n}\n" };
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [
          task("T1", { files: ["src/mul.mjs"] }),
          task("T2", { files: ["src/calc.mjs"], dependsOn: ["T1"] }),
          task("T3", { files: ["src/sub.mjs", "test/sub.test.mjs"] }),
        ],
        coders: { T1: writes(broken), T3: writes(SUB) },
      },
    });
    await h.start();
    const paused = await h.settle();
    expect(paused.status).toBe("paused");
    // Two in a row, not the four attempts a test failure would get.
    const t1 = (await h.tasks())[0]!;
    expect(
      (await h.attempts()).filter((a) => a.task_id === t1.id).map((a) => a.ended_reason),
    ).toEqual(["typecheck_failed", "typecheck_failed"]);
    const cta = (await h.pending()) as PauseCtaRow;
    expect(cta.task_key).toBe("T1");
    expect(cta.options.map((o) => o.label)).toEqual(["Retry T1", "Skip T1", "Cancel run"]);
    expect(cta.prompt).toContain('T1 "Task T1" paused: typecheck failed 2 times in a row');
    expect(cta.prompt).toContain("what depends on it (T2)");
    expect((await h.tasks()).map((t) => `${t.task_key} ${t.status}`)).toEqual([
      "T1 failed",
      "T3 merged",
      "T2 pending",
    ]);

    await h.answer({ action: "skip" });
    expect((await h.settle()).status).toBe("waiting");
    const r = await h.result();
    expect(r.skipped).toEqual([
      { key: "T1", title: "Task T1", status: "skipped", reason: "skipped by tester" },
      { key: "T2", title: "Task T2", status: "blocked", reason: "depends on T1 (skipped)" },
    ]);
    expect(r.filesChanged.map((f) => f.path)).toEqual(["src/sub.mjs", "test/sub.test.mjs"]);
  });

  it("cancelling from a pause cancels the run and drops its queued work", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [
          task("T1", { files: ["src/mul.mjs"] }),
          task("T2", { files: ["src/x.mjs"], dependsOn: ["T1"] }),
        ],
        coders: {
          T1: writes({ "src/mul.mjs": "export function mul(a, b) {\n  return a * ;\n}\n" }),
        },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("paused");
    await h.answer({ action: "cancel" });
    expect((await h.settle()).status).toBe("cancelled");
    expect(await h.pending()).toBeUndefined();
    const jobs = await db.pool.query(
      "select 1 from graphile_worker._private_jobs where key like $1",
      [`${h.runId}:%`],
    );
    expect(jobs.rowCount).toBe(0);
    expect(h.calls.some((c) => c.key === "T2")).toBe(false);
  });

  it("a run where nothing merged (every task skipped) fails with a clear message instead of asking for a PR", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [task("T1", { files: ["src/mul.mjs"] })],
        coders: {
          T1: writes({ "src/mul.mjs": "export function mul(a, b) {\n  return a * ;\n}\n" }),
        },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("paused");
    await h.answer({ action: "skip" });
    const run = await h.settle();
    expect(run.status).toBe("failed");
    expect(run.error).toBe(
      "implementation failed: No implementation task was merged (T1 skipped), so there is nothing to open a pull request for.\n→ start a new run with a narrower feature, or a different approach",
    );
  });

  it("a task out of attempts pauses, and a retry from the pause starts a fresh generation that can pass", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      env: { PAUL_MAX_CODER_ATTEMPTS: "2" },
      script: {
        plan: [task("T1", { files: ["src/mul.mjs", "test/mul.test.mjs"] })],
        coders: { T1: perAttempt(writes(MUL_WRONG), writes(MUL_WRONG), writes(MUL)) },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("paused");
    expect((await h.pending())?.prompt).toContain("the gates still fail after 2 attempts");
    await h.answer({ action: "retry" });
    expect((await h.settle()).status).toBe("waiting");
    const attempts = await h.attempts();
    expect(attempts.map((a) => [a.attempt_no, a.generation, a.ended_reason])).toEqual([
      [1, 0, "test_failed"],
      [2, 0, "test_failed"],
      [3, 1, "gates_passed"],
    ]);
    expect(coderPrompts(h.calls, "T1")[2]).toContain("This is a retry. Attempt 2 failed");
    expect((await h.result()).totalCoderAttempts).toBe(3);
  });
});
