import type { IntegrationRun } from "../../db/plans.ts";
import type { AttemptRow, TaskRow } from "../../db/tasks.ts";
import type { ChangedFile } from "../../workspace/worktree.ts";
import { countsAsAttempt } from "./next-step.ts";
import { waveLine } from "./plan.ts";
import { type ImplementationOutput, ImplementationOutputSchema, LEFT_OUT } from "./schema.ts";

type LeftOut = (typeof LEFT_OUT)[number];
const isLeftOut = (s: string): s is LeftOut => LEFT_OUT.some((l) => l === s);

/** How an attempt ended, in a word or two: gates_passed, test_failed, changes_required, … */
function outcomeOf(a: AttemptRow): string {
  return a.ended_reason ?? a.status;
}

/**
 * The implementation's result: the contract (validated) and the plan as it
 * ended. Conditions count as addressed when a task that names them merged;
 * attempts count across every task, as `countsAsAttempt` says. Every step of
 * the full gates is reported under its own name, the install step too: the
 * schema takes every step `src/gates` can run, so none is left out unseen
 * (one it does not know fails the parse instead).
 */
export function buildOutput(i: {
  branch: string;
  filesChanged: ChangedFile[];
  integration: IntegrationRun;
  tasks: TaskRow[];
  attempts: AttemptRow[];
  conditions: string[];
}): ImplementationOutput {
  const counted = i.attempts.filter(countsAsAttempt);
  const merged = i.tasks.filter((t) => t.status === "merged");
  return ImplementationOutputSchema.parse({
    branch: i.branch,
    filesChanged: i.filesChanged,
    gateResults: i.integration.results.map((r) => ({
      gate: r.gate,
      status: r.status,
      output: r.output,
    })),
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
