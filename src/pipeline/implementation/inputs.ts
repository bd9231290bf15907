import { z } from "zod";
import { chosenApproach } from "../../db/ctas.ts";
import { invariant } from "../../errors.ts";
import { type Analysis, AnalysisSchema } from "../analysis/schema.ts";
import { type Approach, ApproachSchema } from "../approaches/schema.ts";
import type { PhaseContext } from "../context.ts";
import { JudgingSchema } from "../judging/schema.ts";
import type { Phase } from "../phases.ts";

export interface ImplInputs {
  analysis: Analysis;
  approach: Approach;
  conditions: string[];
}

/** What the implementation reads of the earlier phases' results: parsed, not trusted. */
const ApproachListSchema = z.object({ approaches: z.array(ApproachSchema) });
const VerdictSchema = JudgingSchema.pick({ approachIndex: true, conditions: true });

async function stored<T>(ctx: PhaseContext, phase: Phase, schema: z.ZodType<T>): Promise<T> {
  const parsed = schema.safeParse(await ctx.output<unknown>(phase));
  invariant(
    parsed.success,
    `the stored ${phase} result of run ${ctx.run.id} does not match its schema${parsed.error ? `: ${parsed.error.message}` : ""}`,
  );
  return parsed.data;
}

/** What the earlier phases decided: the analysis, the chosen approach and the judges' conditions. */
export async function implInputs(ctx: PhaseContext): Promise<ImplInputs> {
  const analysis = await stored(ctx, "analysis", AnalysisSchema);
  const { approaches } = await stored(ctx, "approaches", ApproachListSchema);
  const judging = await stored(ctx, "judging", VerdictSchema);
  const index = (await chosenApproach(ctx.deps.pool, ctx.run.id)) ?? judging.approachIndex;
  const approach = approaches[index];
  invariant(approach, `run ${ctx.run.id} chose approach ${index}, which does not exist`);
  return { analysis, approach, conditions: judging.conditions };
}
