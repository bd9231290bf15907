import { getPhaseResult } from "../../db/phases.ts";
import { ANALYSIS, type Analysis } from "../analysis/schema.ts";
import { pursuedApproach } from "../approaches/choice.ts";
import type { Approach } from "../approaches/schema.ts";
import type { PhaseContext } from "../context.ts";
import { JUDGING } from "../judging/schema.ts";
import { readOutput } from "../phase.ts";
import { REQUEST, type RequestOutput } from "../request/schema.ts";
import { emptyAnalysis, followupApproach } from "../request/work.ts";

export interface ImplInputs {
  analysis: Analysis;
  approach: Approach;
  conditions: string[];
  /** A follow-up's request; a build has none. */
  followup?: RequestOutput | undefined;
}

/**
 * What the earlier phases decided: the analysis, the chosen approach and the
 * judges' conditions. A follow-up has no phases of its own before this: it
 * reads its build's analysis, and its request stands for the approach.
 */
export async function implInputs(ctx: PhaseContext): Promise<ImplInputs> {
  if (ctx.run.kind === "followup") {
    const followup = await ctx.output(REQUEST);
    const stored = await getPhaseResult(ctx.deps.pool, followup.parentRunId, ANALYSIS.name);
    return {
      analysis: stored ? readOutput(ANALYSIS, stored.output) : emptyAnalysis(),
      approach: followupApproach(followup),
      conditions: [],
      followup,
    };
  }
  const analysis = await ctx.output(ANALYSIS);
  const judging = await ctx.output(JUDGING);
  const { approach } = await pursuedApproach(ctx.deps.pool, ctx.run.id);
  return { analysis, approach, conditions: judging.conditions };
}
