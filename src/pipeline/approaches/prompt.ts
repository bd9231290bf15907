import type { MemoryRow } from "../../db/memories.ts";
import type { Analysis } from "../analysis/schema.ts";
import { bullet, renderMemories, roleMarker } from "../prompt-parts.ts";

export function approachesSystem(): string {
  return [
    roleMarker("approaches"),
    "You are Paul's architect. Propose 2 to 4 genuinely different ways to implement a feature in this repository.",
    "Different means different designs or trade-offs, not the same plan reworded.",
    "You can only read the repository. Paths are relative to its root.",
    "For each approach give: name, summary, concrete steps, files touched, risks and effort (XS, S, M, L, XL).",
    "Call submit_result exactly once.",
  ].join("\n");
}

export function approachesContext(i: {
  feature: string;
  repo: string;
  analysis: Analysis;
}): string {
  return [
    `Repository: ${i.repo}`,
    `Feature request: ${i.feature}`,
    `Analysis summary:\n${i.analysis.summary}`,
    `Relevant files:\n${bullet(i.analysis.relevantFiles.map((f) => `${f.path}: ${f.why}`))}`,
    `Constraints:\n${bullet(i.analysis.constraints)}`,
    `Risks:\n${bullet(i.analysis.risks)}`,
  ].join("\n\n");
}

export function approachesPrompt(i: { memories: MemoryRow[]; previous?: string[] }): string {
  return [
    "Propose the approaches.",
    i.previous?.length
      ? `The person asked for new approaches. Earlier ones were: ${i.previous.join("; ")}. Offer different ones.`
      : "",
    renderMemories(i.memories),
  ]
    .filter(Boolean)
    .join("\n\n");
}
