import { phaseAgent } from "../agent.ts";
import { ANALYSIS } from "../analysis/schema.ts";
import { pursuedApproach } from "../approaches/choice.ts";
import type { PhaseContext } from "../context.ts";
import { OPTIONS } from "../options.ts";
import { definePhase } from "../phase.ts";
import { judgeContext, judgePrompt, judgeSystem } from "./prompt.ts";
import { renderJudging } from "./render.ts";
import { aggregate, JUDGING, JudgeVerdictSchema, type Judging, LENSES } from "./schema.ts";

export const judging = definePhase({
  ...JUDGING,
  title: "Judging",
  maxAttempts: 3,
  numbering: "outputs",
  asks: ["approval", "judging_failed"],
  run: runJudging,
  render: renderJudging,
});

/** A panel of judges with different lenses, run concurrently, aggregated deterministically. */
async function runJudging(ctx: PhaseContext<Judging>): Promise<void> {
  const co = await ctx.checkout();
  const analysis = await ctx.output(ANALYSIS);
  const { index, approach } = await pursuedApproach(ctx.deps.pool, ctx.run.id);
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
