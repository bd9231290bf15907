import { afterAll, describe, expect, it } from "vitest";
import type { PauseCtaRow } from "../../src/db/plans.ts";
import { createTestDb } from "../support/db.ts";
import { removeFixtures } from "../support/git-fixtures.ts";
import { fn, MUL, SUB, testOf } from "./fixtures.ts";
import { coderPrompts, harness, perAttempt, refuse, task, writes } from "./harness.ts";

afterAll(removeFixtures);
const db = await createTestDb();

describe("agent errors, merge conflicts and failed waves", () => {
  it("an agent error is retried once", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [task("T1", { files: ["src/mul.mjs"] })],
        coders: { T1: perAttempt(refuse, writes(MUL)) },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("waiting");
    expect((await h.attempts()).map((a) => [a.status, a.ended_reason])).toEqual([
      ["agent_error", "model_refused"],
      ["passed", "gates_passed"],
    ]);
    expect(coderPrompts(h.calls, "T1")[1]).toContain(
      "ending the attempt with an error (The coder agent declined the task.)",
    );
  });

  it("a second agent error abandons the task; its dependants are blocked and listed, the wave goes on", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [
          task("T1", { files: ["src/mul.mjs"] }),
          task("T2", { files: ["src/sub.mjs", "test/sub.test.mjs"] }),
          task("T3", { files: ["src/x.mjs"], dependsOn: ["T1"] }),
        ],
        coders: { T1: refuse, T2: writes(SUB) },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("waiting");
    expect((await h.tasks()).map((t) => `${t.task_key} ${t.status}`)).toEqual([
      "T1 abandoned",
      "T2 merged",
      "T3 blocked",
    ]);
    const r = await h.result();
    expect(r.skipped.map((s) => [s.key, s.status, s.reason])).toEqual([
      ["T1", "abandoned", "the coder failed twice: The coder agent declined the task."],
      ["T3", "blocked", "depends on T1 (abandoned)"],
    ]);
    expect(h.calls.filter((c) => c.key === "T1" && c.turn === 0)).toHaveLength(2);
  });

  it("a wave whose tasks all failed pauses; retrying it succeeds", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [task("T1", { files: ["src/mul.mjs"] })],
        coders: {
          T1: perAttempt(refuse, refuse, writes(MUL)),
        },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("paused");
    const cta = (await h.pending()) as PauseCtaRow;
    expect([cta.task_key, cta.wave]).toEqual([null, 1]);
    expect(cta.prompt).toMatch(/^Every task of wave 1 failed \(T1: the coder failed twice/);
    await h.answer({ action: "retry" });
    expect((await h.settle()).status).toBe("waiting");
    expect((await h.tasks())[0]?.status).toBe("merged");
  });

  it("a merge conflict pauses; a retry from the pause starts from the feature branch and merges", async () => {
    const base = fn("add", "a + b");
    const double = "export function double(a) {\n  return a * 2;\n}\n";
    const triple = "export function triple(a) {\n  return a * 3;\n}\n";
    const dtest = { "test/double.test.mjs": testOf("double", "add.mjs", "double(4)", 8) };
    const ttest = { "test/triple.test.mjs": testOf("triple", "add.mjs", "triple(2)", 6) };
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        // Declared files differ, so both run at once; both also edit src/add.mjs at the same place.
        plan: [
          task("T1", { files: ["test/double.test.mjs"] }),
          task("T2", { files: ["test/triple.test.mjs"] }),
        ],
        coders: {
          T1: perAttempt(
            writes({ "src/add.mjs": base + double, ...dtest }),
            writes({ "src/add.mjs": base + double + triple, ...dtest }),
          ),
          T2: perAttempt(
            writes({ "src/add.mjs": base + triple, ...ttest }),
            writes({ "src/add.mjs": base + double + triple, ...ttest }),
          ),
        },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("paused");
    const tasks = await h.tasks();
    const lost = tasks.find((t) => t.status === "conflict")!;
    expect(tasks.map((t) => t.status).sort()).toEqual(["conflict", "merged"]);
    expect(lost.reason).toBe("conflict in src/add.mjs with work merged since it started");
    const cta = (await h.pending()) as PauseCtaRow;
    expect(cta.task_key).toBe(lost.task_key);
    expect(cta.prompt).toContain("passed its gates but could not be merged");

    await h.answer({ action: "retry" });
    expect((await h.settle()).status).toBe("waiting");
    expect((await h.tasks()).map((t) => t.status)).toEqual(["merged", "merged"]);
    const again = (await h.tasks()).find((t) => t.task_key === lost.task_key)!;
    const { feature_commit } = (
      await db.pool.query("select feature_commit from impl_plans where run_id = $1", [h.runId])
    ).rows[0];
    expect(again.start_commit).not.toBe(lost.start_commit);
    expect(feature_commit).toBeTruthy();
    expect(coderPrompts(h.calls, lost.task_key)[1]).toContain(
      "Why it could not be merged:\nMerging into the feature branch conflicted in: src/add.mjs",
    );
    expect((await h.result()).gateResults.every((g) => g.status === "passed")).toBe(true);
  });
});
