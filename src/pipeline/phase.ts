import type { z } from "zod";
import type { CtaKind } from "../db/ctas.ts";
import { invariant } from "../errors.ts";
import type { PhaseContext } from "./context.ts";
import type { Doc } from "./doc.ts";
import type { AnyJob } from "./jobs.ts";

/**
 * A phase's stored output: its name and the schema it is parsed with, on write
 * and on read. Lives in the phase's schema.ts, so a phase that reads another's
 * output imports only that schema, never the other phase's code.
 */
export interface OutputRef<N extends string = string, O = unknown> {
  name: N;
  output: z.ZodType<O>;
}

export function outputOf<N extends string, O>(name: N, output: z.ZodType<O>): OutputRef<N, O> {
  return { name, output };
}

/**
 * A stored output read back, or one about to be stored, checked against its
 * phase's schema. One that does not fit is Paul's bug (or a database written by
 * another version), so it stops the run instead of being retried.
 */
export function readOutput<T>(ref: OutputRef<string, T>, raw: unknown): T {
  const parsed = ref.output.safeParse(raw);
  invariant(
    parsed.success,
    `the ${ref.name} output does not fit its schema (${parsed.error?.issues[0]?.path.join(".") || "root"}: ${parsed.error?.issues[0]?.message})`,
  );
  return parsed.data;
}

/**
 * Everything Paul knows about a phase, in the phase's own folder. The registry
 * (phases.ts) lists these in order; the job catalog, the task list, the titles,
 * the revision numbering and both faces' renderings are derived from it.
 */
export interface PhaseDef<N extends string = string, O = unknown> extends OutputRef<N, O> {
  title: string;
  /** Tries of the phase's job before a retryable failure stops the run. */
  maxAttempts: number;
  /**
   * How a fresh run of the phase is numbered: by the outputs it stored, or by
   * the questions asked after it (a phase that can pause stores no output to count).
   */
  numbering: "outputs" | "questions";
  /** The questions that may follow the phase's output; a decision is checked against them. */
  asks: readonly CtaKind[];
  run(ctx: PhaseContext): Promise<void>;
  /** The output as a neutral document that every face draws. */
  render(output: O): Doc;
  /** Jobs that continue the phase after its own job (the implementation's tasks). */
  jobs?: readonly AnyJob[];
}

export function definePhase<N extends string, O>(def: PhaseDef<N, O>): PhaseDef<N, O> {
  return def;
}
