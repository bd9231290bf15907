import { z } from "zod";
import { outputOf } from "../phase.ts";

export const PrResultSchema = z.object({
  branch: z.string(),
  pushed: z.boolean(),
  url: z.string().optional(),
  number: z.number().int().optional(),
  reused: z.boolean().optional(),
  message: z.string(),
});
export type PrResult = z.infer<typeof PrResultSchema>;

export const PR = outputOf("pr", PrResultSchema);
