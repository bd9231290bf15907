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
  failureOutput: string;
  doNotRepeat: string[];
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
    "When done, call submit_result with a summary and the review conditions you addressed.",
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
    `Analysis:\n${i.analysis.summary}\nConstraints:\n${bullet(i.analysis.constraints)}`,
    `Chosen approach: ${i.approach.name}\n${i.approach.summary}\nSteps:\n${bullet(i.approach.steps)}`,
    `Your task ${i.task.key}: ${i.task.title}\n${i.task.description}\nFiles in scope:\n${bullet(i.task.files)}`,
    `Review conditions you must address:\n${bullet(i.task.conditions)}`,
    renderGates(i.gates),
  ].join("\n\n");
}

export function coderPrompt(i: { memories: MemoryRow[]; previous?: PreviousAttempt }): string {
  const parts = ["Implement the task now."];
  const p = i.previous;
  if (p) {
    parts.push(
      [
        `This is a retry. Attempt ${p.attemptNo} failed; you start again from a clean checkout (its changes are gone).`,
        `Files the previous attempt touched:\n${bullet(p.filesTouched)}`,
        `Its final summary:\n${p.summary || "(none)"}`,
        `Failing gate output:\n${p.failureOutput}`,
        `Do NOT repeat these patterns:\n${bullet(p.doNotRepeat)}`,
      ].join("\n\n"),
    );
  }
  parts.push(renderMemories(i.memories));
  return parts.filter(Boolean).join("\n\n");
}
