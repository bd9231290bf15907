import { listPhaseResults } from "../../db/phases.ts";
import { phaseAgent } from "../agent.ts";
import type { Analysis } from "../analysis/schema.ts";
import type { PhaseContext } from "../context.ts";
import { choiceOptions } from "../transitions.ts";
import { approachesContext, approachesPrompt, approachesSystem } from "./prompt.ts";
import { type Approaches, ApproachesSchema } from "./schema.ts";

export async function runApproaches(ctx: PhaseContext): Promise<void> {
  const co = await ctx.checkout();
  const analysis = await ctx.output<Analysis>("analysis");
  const previous = (await listPhaseResults(ctx.deps.pool, ctx.run.id))
    .filter((r) => r.phase === "approaches")
    .flatMap((r) => (r.output as Approaches).approaches.map((a) => a.name));
  const { output } = await phaseAgent(ctx, {
    role: "approaches",
    model: ctx.deps.cfg.models.approaches,
    system: approachesSystem(),
    context: approachesContext({ feature: ctx.run.feature, repo: ctx.run.repo_spec, analysis }),
    prompt: approachesPrompt({ memories: await ctx.memories(), previous }),
    tools: ctx.readOnlyTools(co),
    schema: ApproachesSchema,
  });
  await ctx.complete(output, {
    kind: "choice",
    prompt: "Which approach should I pursue?",
    options: choiceOptions(output.approaches.map((a) => a.name)),
  });
}
