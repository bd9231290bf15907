import { z } from "zod";
import { phaseSpec } from "../jobs.ts";
import { outputOf } from "../phase.ts";

export const PushResultSchema = z.object({
  branch: z.string(),
  /** The commit now at the head of Paul's branch. */
  commit: z.string(),
  /** The branch had moved (someone pushed to it): the follow-up was rebased onto it. */
  rebasedOnto: z.string().optional(),
  summary: z.string(),
  prUrl: z.string().optional(),
  /** Where Paul answered on GitHub. */
  replyUrl: z.string().optional(),
  message: z.string(),
});
export type PushResult = z.infer<typeof PushResultSchema>;

export const PUSH = outputOf("push", PushResultSchema);

/** Queued without a question after a small follow-up (phase modules may not import the registry). */
export const PUSH_JOB = phaseSpec("push", 5);
