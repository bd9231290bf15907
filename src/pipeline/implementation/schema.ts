import { z } from "zod";
import { GATE_STEPS } from "../../gates/discover.ts";
import { phaseSpec } from "../jobs.ts";
import { outputOf } from "../phase.ts";

/** The implementation contract (DESIGN.md §2): non-negotiable. */
export const ImplementationResultSchema = z.object({
  branch: z.string().min(1),
  filesChanged: z.array(
    z.object({ path: z.string().min(1), changeType: z.enum(["added", "modified", "deleted"]) }),
  ),
  gateResults: z.array(
    z.object({
      /** A gate of src/gates/discover.ts, or its install step when that ran. */
      gate: z.enum(GATE_STEPS),
      status: z.enum(["passed", "failed"]),
      output: z.string(),
    }),
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

/** A task as the result reports it: how it ended and what each attempt did. */
export const TaskReportSchema = z.object({
  key: z.string(),
  title: z.string(),
  kind: z.enum(["task", "fix"]),
  size: z.string(),
  wave: z.number().int(),
  status: z.string(),
  reason: z.string().nullable(),
  conditions: z.array(z.string()),
  attempts: z.array(z.object({ no: z.number().int(), model: z.string(), outcome: z.string() })),
});
export type TaskReport = z.infer<typeof TaskReportSchema>;

/**
 * What the implementation phase stores: the contract, plus the plan as it
 * ended — the wave line, every task with its attempts, and the tasks left
 * out (abandoned, skipped, or blocked by one of those).
 */
/** Tasks that will never merge; the result lists them. */
export const LEFT_OUT = ["abandoned", "skipped", "blocked"] as const;

export const ImplementationOutputSchema = ImplementationResultSchema.extend({
  waves: z.string(),
  tasks: z.array(TaskReportSchema),
  skipped: z.array(
    z.object({
      key: z.string(),
      title: z.string(),
      status: z.enum(LEFT_OUT),
      reason: z.string().nullable(),
    }),
  ),
});
export type ImplementationOutput = z.infer<typeof ImplementationOutputSchema>;

export const IMPLEMENTATION = outputOf("implementation", ImplementationOutputSchema);

/** Queued without a question when a follow-up's request hands over (phase modules may not import the registry). */
export const IMPLEMENTATION_JOB = phaseSpec("implementation", 3);
