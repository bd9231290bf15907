import { listPhaseResults } from "../../db/phases.ts";
import { phaseAgent } from "../agent.ts";
import { ANALYSIS } from "../analysis/schema.ts";
import type { PhaseContext } from "../context.ts";
import { definePhase, readOutput } from "../phase.ts";
import { choiceQuestion } from "./choice.ts";
import { approachesContext, approachesPrompt, approachesSystem } from "./prompt.ts";
import { renderApproaches } from "./render.ts";
import { APPROACHES, type Approaches, ApproachesSchema } from "./schema.ts";

export const approaches = definePhase({
  ...APPROACHES,
  title: "Approaches",
  maxAttempts: 3,
  numbering: "outputs",
  asks: ["choice"],
  run: runApproaches,
  render: renderApproaches,
});

async function runApproaches(ctx: PhaseContext<Approaches>): Promise<void> {
  const co = await ctx.checkout();
  const analysis = await ctx.output(ANALYSIS);
  const previous = (await listPhaseResults(ctx.deps.pool, ctx.run.id))
    .filter((r) => r.phase === APPROACHES.name)
    .flatMap((r) => readOutput(APPROACHES, r.output).approaches.map((a) => a.name));
  const { output } = await phaseAgent(ctx, {
    role: "approaches",
    model: ctx.deps.cfg.models.approaches,
    system: approachesSystem(),
    context: approachesContext({ feature: ctx.run.feature, repo: ctx.run.repo_spec, analysis }),
    prompt: approachesPrompt({ memories: await ctx.memories(), previous }),
    tools: ctx.readOnlyTools(co),
    schema: ApproachesSchema,
  });
  await ctx.complete(output, choiceQuestion(output));
}
