import type { MemoryRow } from "../../db/memories.ts";
import type { GatePlan } from "../../gates/discover.ts";
import type { Analysis } from "../analysis/schema.ts";
import type { Approach } from "../approaches/schema.ts";
import { bullet, renderGates, renderMemories, roleMarker } from "../prompt-parts.ts";

export interface CoderTask {
  key: string;
  title: string;
  description: string;
  files: string[];
  conditions: string[];
}

export interface PreviousAttempt {
  attemptNo: number;
  filesTouched: string[];
  summary: string;
  /** "gate", "merge_conflict", "agent_error", "no_changes": names the output's heading. */
  failureKind: string;
  /** Failing gate output, a merge conflict or an agent error, at most 8000 characters. */
  failureOutput: string;
  doNotRepeat: string[];
  /** The attempt passed its gates but the reviewer required these changes. */
  reviewChanges?: string[];
}

export function coderSystem(): string {
  return [
    roleMarker("coder"),
    "You are a coder on Paul's team. You implement one task in a git worktree of the repository.",
    "Use the text editor tool to view and change files and the bash tool to run commands (tests, builds).",
    "Each bash command runs in a fresh shell in the repository root: cd and variables do not carry over.",
    "Paths are relative to the repository root; you cannot reach anything outside it.",
    "Do not commit: Paul commits your changes and runs the repository's gates after you finish.",
    "Make the gates pass. Do not weaken, skip or delete tests or checks to make them pass.",
    "Stay within your task: other tasks of the plan change other files in parallel.",
    "When done, call submit_result with a summary and the review conditions you addressed.",
  ].join("\n");
}

/** The analysis a task needs: the summary, constraints, risks and the relevant files it touches. */
function relevantAnalysis(a: Analysis, files: string[]): string {
  const inScope = a.relevantFiles.filter((f) => files.includes(f.path));
  const shown = inScope.length > 0 ? inScope : a.relevantFiles;
  return [
    `Analysis:\n${a.summary}`,
    `Constraints:\n${bullet(a.constraints)}`,
    `Risks:\n${bullet(a.risks)}`,
    `Relevant files:\n${bullet(shown.map((f) => `${f.path}: ${f.why}`))}`,
  ].join("\n");
}

export function coderContext(i: {
  feature: string;
  repo: string;
  analysis: Analysis;
  approach: Approach;
  gates: GatePlan;
  task: CoderTask;
}): string {
  return [
    `Repository: ${i.repo}`,
    `Feature request: ${i.feature}`,
    relevantAnalysis(i.analysis, i.task.files),
    `Chosen approach: ${i.approach.name}\n${i.approach.summary}\nSteps:\n${bullet(i.approach.steps)}`,
    `Your task ${i.task.key}: ${i.task.title}\n${i.task.description}\nFiles in scope:\n${bullet(i.task.files)}`,
    `Review conditions you must address:\n${bullet(i.task.conditions)}`,
    renderGates(i.gates),
  ].join("\n\n");
}

const FAILURE_TITLES: Record<string, string> = {
  gate: "Failing gate output",
  merge_conflict: "Why it could not be merged",
};

export function coderPrompt(i: { memories: MemoryRow[]; previous?: PreviousAttempt }): string {
  const parts = ["Implement the task now."];
  const p = i.previous;
  if (p?.reviewChanges) {
    parts.push(
      [
        `This is a retry. Attempt ${p.attemptNo} passed the gates, but the reviewer required changes; you start again from a clean checkout (its changes are gone).`,
        `Files the previous attempt touched:\n${bullet(p.filesTouched)}`,
        `Its final summary:\n${p.summary || "(none)"}`,
        `Changes the reviewer requires:\n${bullet(p.reviewChanges)}`,
      ].join("\n\n"),
    );
  } else if (p) {
    parts.push(
      [
        `This is a retry. Attempt ${p.attemptNo} failed; you start again from a clean checkout (its changes are gone).`,
        `Files the previous attempt touched:\n${bullet(p.filesTouched)}`,
        `Its final summary:\n${p.summary || "(none)"}`,
        `${FAILURE_TITLES[p.failureKind] ?? "What went wrong"}:\n${p.failureOutput}`,
        `Do NOT repeat these patterns:\n${bullet(p.doNotRepeat)}`,
      ].join("\n\n"),
    );
  }
  parts.push(renderMemories(i.memories));
  return parts.filter(Boolean).join("\n\n");
}
