import { code, type Doc, joined, type Line, list, type Section, strong } from "../doc.ts";
import type { Approach, Approaches } from "./schema.ts";

/** One approach's heading line: its number, name and effort. */
export function approachHead(a: Approach, i: number): Line {
  return [strong(`${i + 1}. ${a.name}`), ` · effort ${a.effort}`];
}

function approachSection(a: Approach, i: number): Section {
  return {
    parts: [
      approachHead(a, i),
      [a.summary],
      list(
        "Steps",
        a.steps.map((s) => [s]),
      ),
      [strong("Files"), ": ", ...(a.files.length > 0 ? joined(a.files.map(code), ", ") : ["none"])],
      list(
        "Risks",
        a.risks.map((r) => [r]),
      ),
    ],
  };
}

export function renderApproaches(o: Approaches): Doc {
  return {
    summary: [
      `${o.approaches.length} approaches: ${o.approaches.map((a, i) => `${i + 1}. ${a.name} (${a.effort})`).join(", ")}.`,
    ],
    sections: o.approaches.map(approachSection),
  };
}
