import type { IntegrationRun } from "../../db/plans.ts";
import type { AttemptRow, TaskRow } from "../../db/tasks.ts";
import type { ChangedFile } from "../../workspace/worktree.ts";
import { waveLine } from "./plan.ts";
import { GATE_NAMES, type ImplementationOutput, ImplementationOutputSchema } from "./schema.ts";

const LEFT_OUT = ["abandoned", "skipped", "blocked"] as const;
type LeftOut = (typeof LEFT_OUT)[number];
const isLeftOut = (s: string): s is LeftOut => (LEFT_OUT as readonly string[]).includes(s);

/** How an attempt ended, in a word or two: gates_passed, test_failed, changes_required, … */
function outcomeOf(a: AttemptRow): string {
  return a.ended_reason ?? a.status;
}

/**
 * The implementation's result: the contract (validated) and the plan as it
 * ended. Conditions count as addressed when a task that names them merged;
 * attempts count across every task, discarded ones (a dead worker's) not.
 */
export function buildOutput(i: {
  branch: string;
  filesChanged: ChangedFile[];
  integration: IntegrationRun;
  tasks: TaskRow[];
  attempts: AttemptRow[];
  conditions: string[];
}): ImplementationOutput {
  const counted = i.attempts.filter((a) => a.status !== "discarded");
  const merged = i.tasks.filter((t) => t.status === "merged");
  return ImplementationOutputSchema.parse({
    branch: i.branch,
    filesChanged: i.filesChanged,
    gateResults: i.integration.results
      .filter((r) => (GATE_NAMES as readonly string[]).includes(r.gate))
      .map((r) => ({ gate: r.gate, status: r.status, output: r.output })),
    totalCoderAttempts: counted.length,
    conditionsAddressed: i.conditions.filter((c) => merged.some((t) => t.conditions.includes(c))),
    waves: waveLine(i.tasks.map((t) => ({ key: t.task_key, wave: t.wave }))),
    tasks: i.tasks.map((t) => ({
      key: t.task_key,
      title: t.title,
      kind: t.kind,
      size: t.size,
      wave: t.wave,
      status: t.status,
      reason: t.reason,
      conditions: t.conditions,
      attempts: counted
        .filter((a) => a.task_id === t.id)
        .map((a) => ({ no: a.attempt_no, model: a.model, outcome: outcomeOf(a) })),
    })),
    skipped: i.tasks.flatMap((t) =>
      isLeftOut(t.status)
        ? [{ key: t.task_key, title: t.title, status: t.status, reason: t.reason }]
        : [],
    ),
  });
}
