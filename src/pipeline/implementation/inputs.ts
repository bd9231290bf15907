import { chosenApproach } from "../../db/ctas.ts";
import { PaulError } from "../../errors.ts";
import type { Analysis } from "../analysis/schema.ts";
import type { Approach, Approaches } from "../approaches/schema.ts";
import type { PhaseContext } from "../context.ts";
import type { Judging } from "../judging/schema.ts";

export interface ImplInputs {
  analysis: Analysis;
  approach: Approach;
  conditions: string[];
}

/** What the earlier phases decided: the analysis, the chosen approach and the judges' conditions. */
export async function implInputs(ctx: PhaseContext): Promise<ImplInputs> {
  const analysis = await ctx.output<Analysis>("analysis");
  const { approaches } = await ctx.output<Approaches>("approaches");
  const judging = await ctx.output<Judging>("judging");
  const index = (await chosenApproach(ctx.deps.pool, ctx.run.id)) ?? judging.approachIndex;
  const approach = approaches[index];
  if (!approach) throw new PaulError("internal", `approach ${index} does not exist`);
  return { analysis, approach, conditions: judging.conditions };
}
