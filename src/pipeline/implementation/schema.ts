import { z } from "zod";

export const GATE_NAMES = ["typecheck", "test", "lint", "build"] as const;

/** The implementation contract (DESIGN.md §2): non-negotiable. */
export const ImplementationResultSchema = z.object({
  branch: z.string().min(1),
  filesChanged: z.array(
    z.object({ path: z.string().min(1), changeType: z.enum(["added", "modified", "deleted"]) }),
  ),
  gateResults: z.array(
    z.object({ gate: z.enum(GATE_NAMES), status: z.enum(["passed", "failed"]), output: z.string() }),
  ),
  totalCoderAttempts: z.number().int().min(0),
  conditionsAddressed: z.array(z.string()),
});
export type ImplementationResult = z.infer<typeof ImplementationResultSchema>;

/** What a coder submits when it believes it is done. */
export const CoderReportSchema = z.object({
  summary: z.string().min(1).describe("What you changed and why, in a few sentences"),
  conditionsAddressed: z
    .array(z.string())
    .describe("The review conditions your change satisfies, quoted exactly as given"),
});
export type CoderReport = z.infer<typeof CoderReportSchema>;
