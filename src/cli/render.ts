import type { RunEventMap, TaskBoardEntry, TasksEvent } from "../db/events.ts";
import type { Analysis } from "../pipeline/analysis/schema.ts";
import type { Approaches } from "../pipeline/approaches/schema.ts";
import type {
  ImplementationOutput,
  ImplementationResult,
} from "../pipeline/implementation/schema.ts";
import type { Judging } from "../pipeline/judging/schema.ts";
import type { PrResult } from "../pipeline/pr/schema.ts";

/** Phase outputs as text for a terminal: summary first, details after. */
const list = (items: readonly string[], indent = "  ") =>
  items.length === 0 ? `${indent}(none)` : items.map((s) => `${indent}- ${s}`).join("\n");

export function renderAnalysis(a: Analysis): string {
  return [
    a.summary,
    `Relevant files:\n${list(a.relevantFiles.map((f) => `${f.path} — ${f.why}`))}`,
    `Constraints:\n${list(a.constraints)}`,
    `Risks:\n${list(a.risks)}`,
    `Open questions:\n${list(a.openQuestions)}`,
  ].join("\n\n");
}

export function renderApproaches(o: Approaches): string {
  return o.approaches
    .map((a, i) =>
      [
        `${i + 1}. ${a.name}  (effort ${a.effort})`,
        `   ${a.summary}`,
        `   Steps:\n${list(a.steps, "     ")}`,
        `   Files: ${a.files.join(", ") || "(none)"}`,
        `   Risks:\n${list(a.risks, "     ")}`,
      ].join("\n"),
    )
    .join("\n\n");
}

export function renderJudging(j: Judging): string {
  const mark = {
    pass: "PASS",
    pass_with_conditions: "PASS with conditions",
    fail: "FAIL",
  } as const;
  return [
    `Verdict on "${j.approachName}": ${mark[j.verdict]}`,
    ...j.judges.map(
      (x) =>
        `  ${x.lens}: ${mark[x.verdict]} (correctness ${x.scores.correctness}, fit ${x.scores.fit}, risk ${x.scores.risk}, testability ${x.scores.testability})\n    ${x.rationale}`,
    ),
    `Conditions:\n${list(j.conditions)}`,
  ].join("\n");
}

export function renderImplementation(
  r:
    | ImplementationResult
    | Partial<ImplementationOutput>
    | { failed: true; reason: string; totalCoderAttempts: number },
): string {
  if ("failed" in r)
    return `Implementation did not pass: ${r.reason} (${r.totalCoderAttempts} coder attempts).`;
  const c = r as ImplementationResult & Partial<ImplementationOutput>;
  return [
    `Branch ${c.branch}, ${c.totalCoderAttempts} coder attempt(s).`,
    ...(c.tasks ? [`${c.waves}\n${renderTaskReports(c.tasks)}`] : []),
    `Gates:\n${list(c.gateResults.map((g) => `${g.gate}: ${g.status}`))}`,
    `Files changed:\n${list(c.filesChanged.map((f) => `${f.changeType} ${f.path}`))}`,
    `Conditions addressed:\n${list(c.conditionsAddressed)}`,
    ...(c.skipped && c.skipped.length > 0
      ? [
          `Left out:\n${list(c.skipped.map((t) => `${t.key} ${t.status}${t.reason ? ` (${t.reason})` : ""}`))}`,
        ]
      : []),
  ].join("\n");
}

/** Each task of the result with how each of its attempts ended. */
export function renderTaskReports(tasks: ImplementationOutput["tasks"]): string {
  return tasks
    .map((t) => {
      const attempts = t.attempts.map((a) => `    attempt ${a.no} (${a.model}): ${a.outcome}`);
      return [`  Wave ${t.wave} ${t.key} [${t.size}] ${t.title}: ${t.status}`, ...attempts].join(
        "\n",
      );
    })
    .join("\n");
}

const STATUS_WORDS: Record<TaskBoardEntry["status"], string> = {
  pending: "pending",
  in_progress: "in progress",
  validating: "validating",
  merged: "merged",
  abandoned: "abandoned",
  conflict: "conflict",
  failed: "paused",
  skipped: "skipped",
  blocked: "blocked",
};

export function taskStatusText(t: TaskBoardEntry): string {
  const word =
    t.status === "validating" && t.note === "review" ? "in review" : STATUS_WORDS[t.status];
  return t.attempt !== null ? `${word} (attempt ${t.attempt}/${t.maxAttempts})` : word;
}

/** The wave table: the plan with its tasks when it is made, one line per wave as statuses change. */
export function renderTasksEvent(e: TasksEvent): string {
  if (e.change === "plan") {
    const tasks = e.waves.flatMap((w) => w.tasks);
    const lines = tasks.map(
      (t) =>
        `  ${t.key} [${t.size}] ${t.title}${t.dependsOn.length > 0 ? ` (after ${t.dependsOn.join(", ")})` : ""}`,
    );
    return `  Plan: ${e.line}\n${lines.join("\n")}\n`;
  }
  const rows = e.waves.map(
    (w) => `  │ Wave ${w.wave}: ${w.tasks.map((t) => `${t.key} ${taskStatusText(t)}`).join(" · ")}`,
  );
  return `${rows.join("\n")}\n`;
}

/** One line while a model call is outstanding; the Slack header shows the same words. */
export function renderModelWaiting(w: RunEventMap["model_waiting"]): string {
  return `${w.label}: waiting for the model (${w.seconds} s)`;
}

export function renderPr(r: PrResult): string {
  return r.message;
}

export function renderPhaseOutput(phase: string, output: unknown): string {
  switch (phase) {
    case "analysis":
      return renderAnalysis(output as Analysis);
    case "approaches":
      return renderApproaches(output as Approaches);
    case "judging":
      return renderJudging(output as Judging);
    case "implementation":
      return renderImplementation(output as ImplementationResult);
    case "pr":
      return renderPr(output as PrResult);
    default:
      return JSON.stringify(output, null, 2);
  }
}
