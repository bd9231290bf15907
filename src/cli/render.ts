import type { Analysis } from "../pipeline/analysis/schema.ts";
import type { Approaches } from "../pipeline/approaches/schema.ts";
import type { ImplementationResult } from "../pipeline/implementation/schema.ts";
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
  const mark = { pass: "PASS", pass_with_conditions: "PASS with conditions", fail: "FAIL" } as const;
  return [
    `Verdict on "${j.approachName}": ${mark[j.verdict]}`,
    ...j.judges.map(
      (x) =>
        `  ${x.lens}: ${mark[x.verdict]} (correctness ${x.scores.correctness}, fit ${x.scores.fit}, risk ${x.scores.risk}, testability ${x.scores.testability})\n    ${x.rationale}`,
    ),
    `Conditions:\n${list(j.conditions)}`,
  ].join("\n");
}

export function renderImplementation(r: ImplementationResult | { failed: true; reason: string; totalCoderAttempts: number }): string {
  if ("failed" in r) return `Implementation did not pass: ${r.reason} (${r.totalCoderAttempts} coder attempts).`;
  return [
    `Branch ${r.branch}, ${r.totalCoderAttempts} coder attempt(s).`,
    `Gates:\n${list(r.gateResults.map((g) => `${g.gate}: ${g.status}`))}`,
    `Files changed:\n${list(r.filesChanged.map((f) => `${f.changeType} ${f.path}`))}`,
    `Conditions addressed:\n${list(r.conditionsAddressed)}`,
  ].join("\n");
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
