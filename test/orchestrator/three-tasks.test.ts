import { afterAll, describe, expect, it } from "vitest";
import { renderImplementation } from "../../src/cli/render.ts";
import { getPhaseResult } from "../../src/db/phases.ts";
import { getPlan } from "../../src/db/plans.ts";
import { listGateResults } from "../../src/db/tasks.ts";
import {
  type ImplementationOutput,
  ImplementationResultSchema,
} from "../../src/pipeline/implementation/schema.ts";
import { git, gitOut } from "../../src/workspace/git.ts";
import { createTestDb } from "../support/db.ts";
import { removeFixtures } from "../support/git-fixtures.ts";
import { CALC, MUL, MUL_WRONG, SUB } from "./fixtures.ts";
import { harness, perAttempt, task, writes } from "./harness.ts";

afterAll(removeFixtures);
const db = await createTestDb();

const EXPORT = "Export every helper from src/calc.mjs";
const TESTED = "Test every helper with node:test";

describe("a feature planned as three tasks in two waves", () => {
  it("is implemented, merged and gated end to end, and the contract holds field by field", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      conditions: [EXPORT, TESTED],
      script: {
        plan: [
          task("T1", {
            title: "mul",
            files: ["src/mul.mjs", "test/mul.test.mjs"],
            conditions: [TESTED],
          }),
          task("T2", {
            title: "sub",
            files: ["src/sub.mjs", "test/sub.test.mjs"],
            conditions: [TESTED],
          }),
          task("T3", {
            title: "calc",
            files: ["src/calc.mjs", "test/calc.test.mjs"],
            dependsOn: ["T1", "T2"],
            conditions: [EXPORT.toLowerCase()],
          }),
        ],
        coders: {
          T1: perAttempt(writes(MUL_WRONG, "mul, first try"), writes(MUL, "mul fixed")),
          T2: writes(SUB, "sub"),
          T3: writes(CALC, "calc"),
        },
      },
    });
    await h.start();
    const run = await h.settle();
    expect(run.status).toBe("waiting");
    const cta = await h.pending();
    expect(cta?.kind).toBe("create_pr");
    expect(cta?.prompt).toBe("All gates pass. Create PR?");

    const tasks = await h.tasks();
    expect(tasks.map((t) => [t.task_key, t.wave, t.status])).toEqual([
      ["T1", 1, "merged"],
      ["T2", 1, "merged"],
      ["T3", 2, "merged"],
    ]);
    // The second wave starts from the feature branch with both first-wave merges in it.
    const plan = (await getPlan(db.pool, h.runId))!;
    const t3 = tasks.find((t) => t.task_key === "T3")!;
    const parents = (await gitOut(["log", "--format=%s", t3.start_commit!], h.fx.bare)).split("\n");
    expect(parents.filter((s) => s.startsWith("Merge T")).sort()).toEqual([
      "Merge T1: mul",
      "Merge T2: sub",
    ]);
    expect(await gitOut(["rev-parse", `refs/paul/${h.runId}/feature`], h.fx.bare)).toBe(
      plan.feature_commit,
    );
    for (const k of ["T1", "T2", "T3"]) {
      expect(
        (
          await git(["rev-parse", `refs/paul/${h.runId}/tasks/${k}`], h.fx.bare, {
            allowFail: true,
          })
        ).ok,
      ).toBe(true);
    }

    const result = (await getPhaseResult(db.pool, h.runId, "implementation"))!
      .output as ImplementationOutput;
    expect(ImplementationResultSchema.safeParse(result).success).toBe(true);
    expect(result.branch).toMatch(new RegExp(`^paul/${h.runId}-add-arithmetic-helpers$`));
    expect(result.filesChanged).toEqual([
      { path: "src/calc.mjs", changeType: "added" },
      { path: "src/mul.mjs", changeType: "added" },
      { path: "src/sub.mjs", changeType: "added" },
      { path: "test/calc.test.mjs", changeType: "added" },
      { path: "test/mul.test.mjs", changeType: "added" },
      { path: "test/sub.test.mjs", changeType: "added" },
    ]);
    expect(result.gateResults.map((g) => [g.gate, g.status]).sort()).toEqual([
      ["lint", "passed"],
      ["test", "passed"],
      ["typecheck", "passed"],
    ]);
    expect(result.gateResults.find((g) => g.gate === "test")?.output).toMatch(/pass 4/);
    expect(result.totalCoderAttempts).toBe(4);
    expect(result.conditionsAddressed).toEqual([EXPORT, TESTED]);
    expect(result.waves).toBe("Wave 1: T1, T2 (parallel) → Wave 2: T3");
    expect(result.skipped).toEqual([]);
    expect(
      result.tasks.map((t) => [t.key, t.attempts.map((a) => `${a.model} ${a.outcome}`)]),
    ).toEqual([
      ["T1", ["cheap-model test_failed", "strong-model gates_passed"]],
      ["T2", ["cheap-model gates_passed"]],
      ["T3", ["cheap-model gates_passed"]],
    ]);

    // The plan was shown before any coding, then every status change.
    const events = await db.pool.query<{ kind: string; data: { change: string; line: string } }>(
      "select kind, data from run_events where run_id = $1 and kind in ('tasks', 'progress') order by id",
      [h.runId],
    );
    const first = events.rows.findIndex((e) => e.kind === "tasks");
    expect(events.rows[first]?.data).toMatchObject({
      change: "plan",
      line: "Wave 1: T1, T2 (parallel) → Wave 2: T3",
    });
    expect(
      events.rows.slice(0, first).some((e) => JSON.stringify(e.data).includes("attempt")),
    ).toBe(false);
    expect(renderImplementation(result)).toContain(
      [
        "Wave 1: T1, T2 (parallel) → Wave 2: T3",
        "  Wave 1 T1 [S] mul: merged",
        "    attempt 1 (cheap-model): test_failed",
        "    attempt 2 (strong-model): gates_passed",
        "  Wave 1 T2 [S] sub: merged",
        "    attempt 1 (cheap-model): gates_passed",
        "  Wave 2 T3 [S] calc: merged",
        "    attempt 1 (cheap-model): gates_passed",
      ].join("\n"),
    );
    // Every attempt is stored with its model, files, summary, gates, usage and why it ended.
    const attempts = await h.attempts();
    const gates = await listGateResults(db.pool, h.runId);
    for (const a of attempts) {
      expect(a.files_touched.length).toBeGreaterThan(0);
      expect(a.summary).toBeTruthy();
      expect(a.usage).toMatchObject({ calls: 2 });
      expect(a.usage!.costUsd).toBeGreaterThan(0);
      expect(
        gates
          .filter((g) => g.attempt_id === a.id)
          .map((g) => g.gate)
          .sort(),
      ).toEqual(["lint", "test", "typecheck"]);
    }
  });
});
