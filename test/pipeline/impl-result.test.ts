import { describe, expect, it } from "vitest";
import type { IntegrationRun } from "../../src/db/plans.ts";
import type { TaskRow } from "../../src/db/tasks.ts";
import { GATE_NAMES } from "../../src/gates/discover.ts";
import { buildOutput } from "../../src/pipeline/implementation/result.ts";
import { ImplementationResultSchema } from "../../src/pipeline/implementation/schema.ts";

const task: TaskRow = {
  id: "1",
  run_id: "r",
  task_key: "T1",
  kind: "task",
  title: "Task T1",
  description: "do it",
  files: ["a"],
  size: "S",
  depends_on: [],
  conditions: [],
  wave: 1,
  status: "merged",
  generation: 0,
  max_attempts: 5,
  start_commit: "s",
  result_commit: "c",
  summary: "done",
  reason: null,
  started_at: null,
  finished_at: null,
};

const output = (results: IntegrationRun["results"]) =>
  buildOutput({
    branch: "paul/r-x",
    filesChanged: [],
    integration: { commit: "f", passed: results.every((r) => r.status === "passed"), results },
    tasks: [task],
    attempts: [],
    conditions: [],
  });

describe("the gates in the implementation result", () => {
  it("reports every discovered gate and the install step under their own names", () => {
    const results = [
      { gate: "install", status: "failed" as const, output: "npm ci: E404" },
      ...GATE_NAMES.map((gate) => ({
        gate,
        status: "failed" as const,
        output: "Not run: the install step `npm ci` failed.",
      })),
    ];
    const r = output(results);
    expect(r.gateResults).toEqual(results);
    expect(ImplementationResultSchema.safeParse(r).success).toBe(true);
  });

  it("keeps an install failure visible when the repository has no gate after it", () => {
    const r = output([{ gate: "install", status: "failed", output: "pip: not found" }]);
    expect(r.gateResults.map((g) => [g.gate, g.status])).toEqual([["install", "failed"]]);
  });

  it("refuses a gate it does not know instead of dropping it", () => {
    expect(() => output([{ gate: "fmt", status: "failed", output: "" }])).toThrow(/gate/);
  });
});
