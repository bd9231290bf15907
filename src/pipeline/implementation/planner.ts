import type { MemoryRow } from "../../db/memories.ts";
import type { GatePlan } from "../../gates/discover.ts";
import { phaseAgent } from "../agent.ts";
import type { Analysis } from "../analysis/schema.ts";
import type { Approach } from "../approaches/schema.ts";
import type { PhaseContext } from "../context.ts";
import { bullet, renderGates, renderMemories, roleMarker } from "../prompt-parts.ts";
import { assignWaves, canonicalCondition, type PlannedTask, planSchema } from "./plan.ts";

export function plannerSystem(): string {
  return [
    roleMarker("planner"),
    "You are Paul's implementation planner. You split the chosen approach into tasks for coders.",
    "Each task is done by a fresh coder in its own worktree who sees only that task, so describe it fully.",
    "A small feature is one task. Split only where parts are independent; independent tasks run in parallel.",
    "Tasks that run in parallel should not change the same files; list every file a task changes in its files.",
    "dependsOn names the tasks that must be merged before a task starts. No cycles.",
    "Every review condition must be addressed by at least one task: quote it exactly in that task's conditions.",
    "Size each task XS, S, M, L or XL by the work it takes. Read the repository if you need to, then call submit_result.",
  ].join("\n");
}

export function plannerContext(i: {
  feature: string;
  repo: string;
  analysis: Analysis;
  approach: Approach;
  conditions: string[];
  gates: GatePlan;
}): string {
  return [
    `Repository: ${i.repo}`,
    `Feature request: ${i.feature}`,
    `Analysis:\n${i.analysis.summary}`,
    `Relevant files:\n${bullet(i.analysis.relevantFiles.map((f) => `${f.path}: ${f.why}`))}`,
    `Constraints:\n${bullet(i.analysis.constraints)}`,
    `Risks:\n${bullet(i.analysis.risks)}`,
    `Chosen approach: ${i.approach.name} (effort ${i.approach.effort})\n${i.approach.summary}`,
    `Steps:\n${bullet(i.approach.steps)}`,
    `Files:\n${bullet(i.approach.files)}`,
    `Review conditions (each must be addressed by a task):\n${bullet(i.conditions)}`,
    renderGates(i.gates),
  ].join("\n\n");
}

export function plannerPrompt(memories: MemoryRow[]): string {
  return ["Plan the implementation now.", renderMemories(memories)].filter(Boolean).join("\n\n");
}

export type Plan = (PlannedTask & { wave: number })[];

/**
 * The planner's tasks, validated (unique ids, known dependencies, no cycle,
 * every condition covered; an invalid plan goes back with the problems, as
 * many times as the agent loop repairs) and grouped into waves.
 */
export async function planTasks(
  ctx: PhaseContext,
  i: { analysis: Analysis; approach: Approach; conditions: string[] },
): Promise<Plan> {
  const co = await ctx.checkout();
  const { output } = await phaseAgent(ctx, {
    role: "planner",
    model: ctx.deps.cfg.models.planner,
    system: plannerSystem(),
    context: plannerContext({
      feature: ctx.run.feature,
      repo: ctx.run.repo_spec,
      gates: ctx.gates(),
      ...i,
    }),
    prompt: plannerPrompt(await ctx.memories()),
    tools: ctx.readOnlyTools(co),
    schema: planSchema(i.conditions),
  });
  const tasks = output.tasks.map((t) => ({
    ...t,
    // Stored as the judges wrote them, so the result names conditions exactly.
    conditions: [...new Set(t.conditions.map((c) => canonicalCondition(c, i.conditions) ?? c))],
  }));
  return assignWaves(tasks);
}
