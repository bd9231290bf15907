import { z } from "zod";
import { outputOf } from "../phase.ts";

export const LENSES = ["correctness", "risk", "testability"] as const;
export type Lens = (typeof LENSES)[number];

const score = z.number().int().min(1).max(5);

export const JudgeVerdictSchema = z.object({
  verdict: z.enum(["pass", "pass_with_conditions", "fail"]),
  scores: z.object({ correctness: score, fit: score, risk: score, testability: score }),
  conditions: z
    .array(z.string().min(1))
    .describe("What the implementation must do for you to accept it"),
  rationale: z.string().min(1),
});
export type JudgeVerdict = z.infer<typeof JudgeVerdictSchema>;

export const JudgingSchema = z.object({
  approachIndex: z.number().int().min(0),
  approachName: z.string(),
  verdict: z.enum(["pass", "pass_with_conditions", "fail"]),
  conditions: z.array(z.string()),
  judges: z.array(JudgeVerdictSchema.extend({ lens: z.enum(LENSES) })).min(2),
});
export type Judging = z.infer<typeof JudgingSchema>;

/**
 * Deterministic aggregation: any fail fails; any condition makes it a pass with
 * conditions; conditions are the union, in lens order, without duplicates.
 */
export function aggregate(
  approachIndex: number,
  approachName: string,
  judges: (JudgeVerdict & { lens: Lens })[],
): Judging {
  const ordered = [...judges].sort((a, b) => LENSES.indexOf(a.lens) - LENSES.indexOf(b.lens));
  const seen = new Set<string>();
  const conditions: string[] = [];
  for (const j of ordered) {
    for (const c of j.conditions) {
      const k = c.trim().toLowerCase();
      if (!seen.has(k)) {
        seen.add(k);
        conditions.push(c.trim());
      }
    }
  }
  const verdict = ordered.some((j) => j.verdict === "fail")
    ? "fail"
    : conditions.length > 0 || ordered.some((j) => j.verdict === "pass_with_conditions")
      ? "pass_with_conditions"
      : "pass";
  return { approachIndex, approachName, verdict, conditions, judges: ordered };
}

export const JUDGING = outputOf("judging", JudgingSchema);
