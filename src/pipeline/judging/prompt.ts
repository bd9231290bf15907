import type { MemoryRow } from "../../db/memories.ts";
import type { Analysis } from "../analysis/schema.ts";
import type { Approach } from "../approaches/schema.ts";
import { bullet, renderMemories, roleMarker } from "../prompt-parts.ts";
import type { Lens } from "./schema.ts";

const LENS_BRIEF: Record<Lens, string> = {
  correctness:
    "correctness and fit with the codebase: will it do what was asked, the way this codebase does things?",
  risk: "risk and security: what can break, leak, corrupt data or be abused; is the blast radius contained?",
  testability:
    "testability: can the change be verified by the repository's tests; what tests must come with it?",
};

export function judgeSystem(lens: Lens): string {
  return [
    roleMarker(`judge-${lens}`),
    `You are one judge on Paul's review panel. Your lens: ${LENS_BRIEF[lens]}`,
    "Review the chosen approach before any code is written. You can only read the repository.",
    "Verdict: pass, pass_with_conditions (list the conditions the implementation must meet) or fail.",
    "Scores 1 (poor) to 5 (excellent). Call submit_result exactly once.",
  ].join("\n");
}

export function judgeContext(i: {
  feature: string;
  repo: string;
  analysis: Analysis;
  approach: Approach;
}): string {
  return [
    `Repository: ${i.repo}`,
    `Feature request: ${i.feature}`,
    `Analysis summary:\n${i.analysis.summary}`,
    `Constraints:\n${bullet(i.analysis.constraints)}`,
    `Chosen approach: ${i.approach.name} (effort ${i.approach.effort})\n${i.approach.summary}`,
    `Steps:\n${bullet(i.approach.steps)}`,
    `Files:\n${bullet(i.approach.files)}`,
    `Known risks:\n${bullet(i.approach.risks)}`,
  ].join("\n\n");
}

export function judgePrompt(i: { memories: MemoryRow[] }): string {
  return ["Judge the chosen approach through your lens.", renderMemories(i.memories)]
    .filter(Boolean)
    .join("\n\n");
}
