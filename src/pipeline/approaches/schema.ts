import { z } from "zod";
import { outputOf } from "../phase.ts";

export const ApproachSchema = z.object({
  name: z.string().min(1).max(80),
  summary: z.string().min(1),
  steps: z.array(z.string().min(1)).min(1),
  files: z.array(z.string()),
  risks: z.array(z.string()),
  effort: z.enum(["XS", "S", "M", "L", "XL"]),
});
export type Approach = z.infer<typeof ApproachSchema>;

export const ApproachesSchema = z
  .object({ approaches: z.array(ApproachSchema).min(2).max(4) })
  .refine(
    (o) =>
      new Set(o.approaches.map((a) => a.name.trim().toLowerCase())).size === o.approaches.length,
    {
      message: "approaches must be distinct: two have the same name",
    },
  )
  .refine(
    (o) =>
      new Set(o.approaches.map((a) => a.summary.trim().toLowerCase())).size === o.approaches.length,
    {
      message: "approaches must be distinct: two have the same summary",
    },
  );
export type Approaches = z.infer<typeof ApproachesSchema>;

export const APPROACHES = outputOf("approaches", ApproachesSchema);
