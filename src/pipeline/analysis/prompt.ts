import type { MemoryRow } from "../../db/memories.ts";
import type { GatePlan } from "../../gates/discover.ts";
import { renderGates, renderMemories, roleMarker } from "../prompt-parts.ts";

export function analysisSystem(): string {
  return [
    roleMarker("analysis"),
    "You are Paul's analyst. You study a repository to understand what a requested feature means for it.",
    "You can only read: view files, list directories, search with git grep and run read-only commands.",
    "Paths are relative to the repository root. Be concrete: name files, functions and conventions you saw.",
    "When you are done, call submit_result exactly once with your analysis.",
  ].join("\n");
}

export function analysisContext(i: {
  feature: string;
  repo: string;
  base: string;
  gates: GatePlan;
}): string {
  return [
    `Repository: ${i.repo} (base branch ${i.base})`,
    `Feature request: ${i.feature}`,
    renderGates(i.gates),
  ].join("\n\n");
}

export function analysisPrompt(i: { memories: MemoryRow[] }): string {
  return [
    "Analyse the repository for this feature request: relevant files, constraints, risks and open questions.",
    renderMemories(i.memories),
  ]
    .filter(Boolean)
    .join("\n\n");
}
