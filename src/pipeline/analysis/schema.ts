import { z } from "zod";
import { outputOf } from "../phase.ts";

export const AnalysisSchema = z.object({
  summary: z
    .string()
    .min(1)
    .describe("What the feature means for this repository, in a few sentences"),
  relevantFiles: z
    .array(z.object({ path: z.string().min(1), why: z.string().min(1) }))
    .describe("Files that matter for the feature and why"),
  constraints: z.array(z.string()).describe("Conventions and constraints the change must respect"),
  risks: z.array(z.string()).describe("What could go wrong"),
  openQuestions: z.array(z.string()).describe("Questions for the requester, if any"),
});
export type Analysis = z.infer<typeof AnalysisSchema>;

export const ANALYSIS = outputOf("analysis", AnalysisSchema);
