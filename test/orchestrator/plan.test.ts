import { afterAll, describe, expect, it } from "vitest";
import {
  assignWaves,
  planProblems,
  planSchema,
  waveLine,
} from "../../src/pipeline/implementation/plan.ts";
import { createTestDb } from "../support/db.ts";
import { lastToolResults, submit } from "../support/fake-anthropic.ts";
import { removeFixtures } from "../support/git-fixtures.ts";
import { MUL } from "./fixtures.ts";
import { harness, task, writes } from "./harness.ts";

afterAll(removeFixtures);
const db = await createTestDb();

const COND = "Test every helper with node:test";

describe("plan validation", () => {
  it("accepts a valid plan and groups it into dependency waves", () => {
    const tasks = [
      task("T1"),
      task("T2"),
      task("T3", { dependsOn: ["T1", "T2"] }),
      task("T4", { dependsOn: ["T3"], conditions: [COND] }),
    ];
    expect(planProblems(tasks, [COND])).toEqual([]);
    const waves = assignWaves(tasks).map((t) => ({ key: t.id, wave: t.wave }));
    expect(waves.map((t) => t.wave)).toEqual([1, 1, 2, 3]);
    expect(waveLine(waves)).toBe("Wave 1: T1, T2 (parallel) → Wave 2: T3 → Wave 3: T4");
  });

  it("finds duplicate ids, unknown and self dependencies, cycles and uncovered or unknown conditions", () => {
    expect(planProblems([task("T1"), task("T1")], [])).toEqual([
      "task ids must be unique; repeated: T1",
    ]);
    expect(planProblems([task("T1", { dependsOn: ["T9"] })], [])).toEqual([
      "T1 depends on T9, which is not a task of the plan",
    ]);
    expect(planProblems([task("T1", { dependsOn: ["T1"] })], [])).toEqual(["T1 depends on itself"]);
    expect(
      planProblems(
        [
          task("T1", { dependsOn: ["T3"] }),
          task("T2", { dependsOn: ["T1"] }),
          task("T3", { dependsOn: ["T2"] }),
        ],
        [],
      ),
    ).toEqual(["dependencies form a cycle: T1 → T3 → T2 → T1"]);
    expect(planProblems([task("T1")], [COND])).toEqual([
      `no task addresses the review condition "${COND}"; add it to the conditions of the task that satisfies it`,
    ]);
    expect(planProblems([task("T1", { conditions: ["Be fast", COND] })], [COND])).toEqual([
      'T1 names "Be fast", which is not one of the review conditions',
    ]);
    // Quoted loosely (case, a trailing dot) still counts.
    expect(planProblems([task("T1", { conditions: [`${COND.toUpperCase()}.`] })], [COND])).toEqual(
      [],
    );
  });

  it("is the planner's output schema, so its problems go back to the planner", () => {
    const r = planSchema([COND]).safeParse({ tasks: [task("T1", { dependsOn: ["T2"] })] });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual([
      "T1 depends on T2, which is not a task of the plan",
      `no task addresses the review condition "${COND}"; add it to the conditions of the task that satisfies it`,
    ]);
  });
});

describe("the planner", () => {
  it("gets an invalid plan back with the problem until it repairs it (cycle, unknown dependency, uncovered condition)", async () => {
    const answers = [
      [task("T1", { dependsOn: ["T2"], conditions: [COND] }), task("T2", { dependsOn: ["T1"] })],
      [task("T1", { dependsOn: ["T7"], conditions: [COND] })],
      [task("T1")],
      [task("T1", { files: ["src/mul.mjs", "test/mul.test.mjs"], conditions: [COND] })],
    ];
    const feedback: string[] = [];
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      conditions: [COND],
      script: {
        plan: (req, t) => {
          if (t > 0) feedback.push(lastToolResults(req)[0]?.content ?? "");
          return { content: [submit({ tasks: answers[Math.min(t, answers.length - 1)] })] };
        },
        coders: { T1: writes(MUL) },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("waiting");
    expect(feedback).toHaveLength(3);
    expect(feedback[0]).toContain("dependencies form a cycle: T1 → T2 → T1");
    expect(feedback[1]).toContain("T1 depends on T7, which is not a task of the plan");
    expect(feedback[2]).toContain(`no task addresses the review condition "${COND}"`);
    expect((await h.tasks()).map((t) => [t.task_key, t.conditions, t.status])).toEqual([
      ["T1", [COND], "merged"],
    ]);
  });
});
