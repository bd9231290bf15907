import { phaseAgent } from "../agent.ts";
import type { PhaseContext } from "../context.ts";
import { OPTIONS } from "../options.ts";
import { definePhase } from "../phase.ts";
import { analysisContext, analysisPrompt, analysisSystem } from "./prompt.ts";
import { renderAnalysis } from "./render.ts";
import { ANALYSIS, type Analysis, AnalysisSchema } from "./schema.ts";

export const NO_GATES =
  "This repository defines no gates (typecheck, test, lint or build), so Paul cannot verify the change. " +
  "Add package.json scripts with those names or a paul.gates.json file (see README) before implementation.";

export const analysis = definePhase({
  ...ANALYSIS,
  title: "Analysis",
  maxAttempts: 3,
  numbering: "outputs",
  asks: ["approval"],
  run: runAnalysis,
  render: renderAnalysis,
});

async function runAnalysis(ctx: PhaseContext<Analysis>): Promise<void> {
  const co = await ctx.checkout();
  const gates = ctx.gates();
  if (gates.gates.length === 0) await ctx.emit("warning", { message: NO_GATES });
  const { output } = await phaseAgent(ctx, {
    role: "analysis",
    model: ctx.deps.cfg.models.analysis,
    system: analysisSystem(),
    context: analysisContext({
      feature: ctx.run.feature,
      repo: ctx.run.repo_spec,
      base: ctx.run.base_branch,
      gates,
    }),
    prompt: analysisPrompt({ memories: await ctx.memories() }),
    tools: ctx.readOnlyTools(co),
    schema: AnalysisSchema,
  });
  const noGates = gates.gates.length === 0;
  await ctx.complete(noGates ? { ...output, risks: [NO_GATES, ...output.risks] } : output, {
    kind: "approval",
    prompt: noGates
      ? "Approve to proceed to approach generation? (Warning: no gates; the change can't be verified.)"
      : "Approve to proceed to approach generation?",
    options: OPTIONS.approval,
  });
}
