import { code, type Doc, list, mark } from "../doc.ts";
import type { ImplementationOutput } from "./schema.ts";

/** Each task of the result with how each of its attempts ended, one line each. */
export function taskReportLines(tasks: ImplementationOutput["tasks"]): string[] {
  return tasks.flatMap((t) => [
    `  Wave ${t.wave} ${t.key} [${t.size}] ${t.title}: ${t.status}`,
    ...t.attempts.map((a) => `    attempt ${a.no} (${a.model}): ${a.outcome}`),
  ]);
}

export function renderImplementation(r: ImplementationOutput): Doc {
  return {
    summary: [
      "Branch ",
      code(r.branch),
      ` after ${r.totalCoderAttempts} coder attempt(s). Gates: `,
      ...(r.gateResults.length === 0
        ? ["none"]
        : r.gateResults.flatMap((g, i) => [
            ...(i > 0 ? ["  "] : []),
            mark(g.status === "passed" ? "pass" : "fail"),
            ` ${g.gate}`,
          ])),
    ],
    sections: [
      { title: "Tasks", parts: [[r.waves], ...taskReportLines(r.tasks).map((l) => [l])] },
      {
        parts: [
          list(
            "Files changed",
            r.filesChanged.map((f) => [`${f.changeType} `, code(f.path)]),
          ),
        ],
      },
      {
        parts: [
          list(
            "Conditions addressed",
            r.conditionsAddressed.map((c) => [c]),
          ),
        ],
      },
      ...(r.skipped.length > 0
        ? [
            {
              parts: [
                list(
                  "Left out",
                  r.skipped.map((t) => [`${t.key} ${t.status}${t.reason ? ` (${t.reason})` : ""}`]),
                ),
              ],
            },
          ]
        : []),
    ],
  };
}
