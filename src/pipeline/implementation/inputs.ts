import { ANALYSIS, type Analysis } from "../analysis/schema.ts";
import { pursuedApproach } from "../approaches/choice.ts";
import type { Approach } from "../approaches/schema.ts";
import type { PhaseContext } from "../context.ts";
import { JUDGING } from "../judging/schema.ts";

export interface ImplInputs {
  analysis: Analysis;
  approach: Approach;
  conditions: string[];
}

/** What the earlier phases decided: the analysis, the chosen approach and the judges' conditions. */
export async function implInputs(ctx: PhaseContext): Promise<ImplInputs> {
  const analysis = await ctx.output(ANALYSIS);
  const judging = await ctx.output(JUDGING);
  const { approach } = await pursuedApproach(ctx.deps.pool, ctx.run.id);
  return { analysis, approach, conditions: judging.conditions };
}
