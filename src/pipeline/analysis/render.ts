import { code, type Doc, list } from "../doc.ts";
import type { Analysis } from "./schema.ts";

export function renderAnalysis(a: Analysis): Doc {
  return {
    summary: [a.summary],
    sections: [
      {
        parts: [
          list(
            "Relevant files",
            a.relevantFiles.map((f) => [code(f.path), ` — ${f.why}`]),
          ),
        ],
      },
      {
        parts: [
          list(
            "Constraints",
            a.constraints.map((c) => [c]),
          ),
        ],
      },
      {
        parts: [
          list(
            "Risks",
            a.risks.map((r) => [r]),
          ),
        ],
      },
      {
        parts: [
          list(
            "Open questions",
            a.openQuestions.map((q) => [q]),
          ),
        ],
      },
    ],
  };
}
