import { chosenApproach } from "../../db/ctas.ts";
import { PaulError } from "../../errors.ts";
import { phaseAgent } from "../agent.ts";
import type { Analysis } from "../analysis/schema.ts";
import type { Approaches } from "../approaches/schema.ts";
import type { PhaseContext } from "../context.ts";
import { OPTIONS } from "../transitions.ts";
import { judgeContext, judgePrompt, judgeSystem } from "./prompt.ts";
import { aggregate, JudgeVerdictSchema, LENSES } from "./schema.ts";

/** A panel of judges with different lenses, run concurrently, aggregated deterministically. */
export async function runJudging(ctx: PhaseContext): Promise<void> {
  const co = await ctx.checkout();
  const analysis = await ctx.output<Analysis>("analysis");
  const { approaches } = await ctx.output<Approaches>("approaches");
  const index = await chosenApproach(ctx.deps.pool, ctx.run.id);
  const approach = index === undefined ? undefined : approaches[index];
  if (index === undefined || !approach)
    throw new PaulError("internal", "no approach has been chosen for this run");
  const context = judgeContext({
    feature: ctx.run.feature,
    repo: ctx.run.repo_spec,
    analysis,
    approach,
  });
  const prompt = judgePrompt({ memories: await ctx.memories() });
  const verdicts = await Promise.all(
    LENSES.map(async (lens) => {
      const { output } = await phaseAgent(ctx, {
        role: `judge-${lens}`,
        label: `judge (${lens})`,
        model: ctx.deps.cfg.models.judge,
        system: judgeSystem(lens),
        context,
        prompt,
        tools: ctx.readOnlyTools(co),
        schema: JudgeVerdictSchema,
      });
      return { ...output, lens };
    }),
  );
  const result = aggregate(index, approach.name, verdicts);
  await ctx.complete(
    result,
    result.verdict === "fail"
      ? {
          kind: "judging_failed",
          prompt: "The panel failed this approach. What now?",
          options: OPTIONS.judging_failed,
        }
      : {
          kind: "approval",
          prompt: "Approach passed review. Begin implementation?",
          options: OPTIONS.approval,
        },
  );
}
