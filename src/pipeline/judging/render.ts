import { type Doc, list, type Mark, mark, strong } from "../doc.ts";
import type { Judging } from "./schema.ts";

const VERDICT = {
  pass: "PASS",
  pass_with_conditions: "PASS with conditions",
  fail: "FAIL",
} as const;
const MARK: Record<Judging["verdict"], Mark> = {
  pass: "pass",
  pass_with_conditions: "warn",
  fail: "fail",
};

export function renderJudging(j: Judging): Doc {
  return {
    summary: [
      mark(MARK[j.verdict]),
      " ",
      strong(VERDICT[j.verdict]),
      ` for “${j.approachName}”${j.conditions.length ? ` with ${j.conditions.length} condition(s)` : ""}.`,
    ],
    sections: [
      {
        parts: [
          list(
            "Conditions",
            j.conditions.map((c) => [c]),
          ),
        ],
      },
      {
        title: "Judges",
        parts: j.judges.flatMap((x) => [
          [
            mark(MARK[x.verdict]),
            " ",
            strong(x.lens),
            `: ${VERDICT[x.verdict]} (correctness ${x.scores.correctness}, fit ${x.scores.fit}, risk ${x.scores.risk}, testability ${x.scores.testability})`,
          ],
          [x.rationale],
        ]),
      },
    ],
  };
}
