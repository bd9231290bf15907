import { afterAll, describe, expect, it } from "vitest";
import { gitOut } from "../../src/workspace/git.ts";
import { createTestDb } from "../support/db.ts";
import {
  type MessagesRequest,
  roleOf,
  type ScriptedTurn,
  startModelServer,
  submit,
} from "../support/fake-anthropic.ts";
import { makeRemote, removeFixtures, tempDir } from "../support/git-fixtures.ts";
import { runPaul } from "../support/harness.ts";
import { CALC, MUL, MUL_WRONG, SUB } from "./fixtures.ts";
import { type Call, KEY, perAttempt, projectFiles, scriptedModel, task, writes } from "./script.ts";

afterAll(removeFixtures);
const db = await createTestDb();

const TESTED = "Test every helper with node:test";

/** The phases before implementation, answered the same way every time. */
function earlyPhases(req: MessagesRequest): ScriptedTurn | undefined {
  const role = roleOf(req) ?? "";
  const approach = (name: string) => ({
    name,
    summary: `${name}: one module per helper, re-exported from src/calc.mjs.`,
    steps: ["Add mul", "Add sub", "Add calc"],
    files: ["src/mul.mjs", "src/sub.mjs", "src/calc.mjs"],
    risks: [],
    effort: "M",
  });
  if (role === "analysis") {
    return {
      content: [
        submit({
          summary: "A tiny ES-module library.",
          relevantFiles: [],
          constraints: ["no var"],
          risks: [],
          openQuestions: [],
        }),
      ],
    };
  }
  if (role === "approaches")
    return { content: [submit({ approaches: [approach("Modules"), approach("One file")] })] };
  if (role.startsWith("judge-")) {
    const conditions = role === "judge-testability" ? [TESTED] : [];
    const scores = { correctness: 5, fit: 5, risk: 5, testability: 5 };
    return {
      content: [
        submit({
          verdict: conditions.length ? "pass_with_conditions" : "pass",
          scores,
          conditions,
          rationale: "Fine.",
        }),
      ],
    };
  }
  return undefined;
}

describe("paul build", () => {
  it("implements a feature planned as three tasks in two waves, end to end, and shows the wave table and attempts", async () => {
    const fx = await makeRemote(projectFiles());
    const calls: Call[] = [];
    const later = scriptedModel(
      {
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
          }),
        ],
        coders: {
          T1: perAttempt(writes(MUL_WRONG), writes(MUL)),
          T2: writes(SUB),
          T3: writes(CALC),
        },
      },
      calls,
    );
    const model = await startModelServer({
      apiKey: KEY,
      respond: (req) => earlyPhases(req) ?? later(req),
    });
    try {
      const env = {
        DATABASE_URL: db.url,
        PAUL_HOME: await tempDir("paul-home-"),
        ANTHROPIC_API_KEY: KEY,
        ANTHROPIC_BASE_URL: model.url,
      };
      const res = await runPaul(
        ["build", "Add mul, sub and calc helpers", "--repo", fx.bare, "--yes"],
        env,
      );
      expect(res.stderr).not.toContain("Error");
      expect(res.code).toBe(0);
      const out = res.stdout;
      expect(out).toContain("  Plan: Wave 1: T1, T2 (parallel) → Wave 2: T3\n");
      expect(out).toContain(
        "  │ Wave 1: T1 merged · T2 merged\n  │ Wave 2: T3 in progress (attempt 1/5)\n",
      );
      expect(out).toContain(
        [
          "  Wave 1 T1 [S] mul: merged",
          "    attempt 1 (claude-haiku-5-5): test_failed",
          "    attempt 2 (claude-sonnet-5-5): gates_passed",
          "  Wave 1 T2 [S] sub: merged",
          "    attempt 1 (claude-haiku-5-5): gates_passed",
          "  Wave 2 T3 [S] calc: merged",
          "    attempt 1 (claude-haiku-5-5): gates_passed",
        ].join("\n"),
      );
      expect(out).toContain("■ Run done: Pushed branch paul/");
      const branch = /Pushed branch (\S+) to/.exec(out)![1]!;
      const log = await gitOut(["log", "--format=%s", `refs/heads/${branch}`], fx.bare);
      expect(
        log
          .split("\n")
          .filter((s) => s.startsWith("Merge "))
          .sort(),
      ).toEqual(["Merge T1: mul", "Merge T2: sub", "Merge T3: calc"]);
    } finally {
      await model.close();
    }
  });
});
