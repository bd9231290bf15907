import { z } from "zod";
import type { JobSpec } from "../../queue/jobs.ts";

/** One implementation task; a retry from a pause is a new generation, so a new job. */
export const ImplTaskPayload = z.object({
  runId: z.string().min(1),
  taskKey: z.string().min(1),
  generation: z.number().int().min(0),
});
export type ImplTaskPayload = z.infer<typeof ImplTaskPayload>;

/** The full gates on the feature branch after the last wave, then the phase's result. */
export const ImplFinishPayload = z.object({
  runId: z.string().min(1),
  generation: z.number().int().min(0),
});
export type ImplFinishPayload = z.infer<typeof ImplFinishPayload>;

export const IMPL_TASK: JobSpec<ImplTaskPayload> = {
  name: "impl_task",
  payload: ImplTaskPayload,
  maxAttempts: 3,
  key: (p) => `${p.taskKey}:${p.generation}`,
};

export const IMPL_FINISH: JobSpec<ImplFinishPayload> = {
  name: "impl_finish",
  payload: ImplFinishPayload,
  maxAttempts: 3,
  key: (p) => String(p.generation),
};
