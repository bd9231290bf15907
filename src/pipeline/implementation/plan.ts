import { z } from "zod";

/**
 * The plan: the chosen approach split into tasks with dependencies. Pure, so
 * validation and wave grouping are tested without a model or a database.
 */
export const SIZES = ["XS", "S", "M", "L", "XL"] as const;
export type Size = (typeof SIZES)[number];
export const SizeSchema = z.enum(SIZES);

export const PlannedTaskSchema = z.object({
  id: z
    .string()
    .regex(
      /^[A-Za-z][A-Za-z0-9_-]{0,19}$/,
      "ids are short words such as T1 (letters, digits, - or _)",
    )
    .describe("Short unique id, e.g. T1"),
  title: z.string().min(1).max(100),
  description: z
    .string()
    .min(1)
    .describe("What to do, concretely enough for a coder who sees only this task"),
  files: z
    .array(z.string().min(1))
    .describe("Files in scope: the files this task creates or changes"),
  size: SizeSchema,
  dependsOn: z
    .array(z.string())
    .describe("Ids of the tasks that must be merged before this one starts"),
  conditions: z
    .array(z.string())
    .describe("The review conditions this task addresses, quoted exactly as given"),
});
export type PlannedTask = z.infer<typeof PlannedTaskSchema>;

/** The planner's output schema; an invalid plan goes back to the planner with the problems. */
export function planSchema(conditions: readonly string[]) {
  return z.object({ tasks: z.array(PlannedTaskSchema).min(1).max(12) }).superRefine((plan, ctx) => {
    for (const message of planProblems(plan.tasks, conditions)) {
      ctx.addIssue({ code: "custom", message, path: ["tasks"] });
    }
  });
}

const norm = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[.\s]+$/, "");

/** The review condition a quoted text stands for, matched loosely (case, trailing dot, quoting part of it). */
export function canonicalCondition(
  text: string,
  conditions: readonly string[],
): string | undefined {
  const t = norm(text);
  if (!t) return undefined;
  return (
    conditions.find((c) => norm(c) === t) ??
    conditions.find((c) => norm(c).includes(t) || t.includes(norm(c)))
  );
}

export function planProblems(
  tasks: readonly Pick<PlannedTask, "id" | "dependsOn" | "conditions">[],
  conditions: readonly string[],
): string[] {
  const problems: string[] = [];
  const ids = tasks.map((t) => t.id);
  const dupes = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  if (dupes.length > 0) problems.push(`task ids must be unique; repeated: ${dupes.join(", ")}`);
  const known = new Set(ids);
  for (const t of tasks) {
    for (const d of t.dependsOn) {
      if (d === t.id) problems.push(`${t.id} depends on itself`);
      else if (!known.has(d))
        problems.push(`${t.id} depends on ${d}, which is not a task of the plan`);
    }
    for (const c of t.conditions) {
      if (!canonicalCondition(c, conditions)) {
        problems.push(`${t.id} names "${c}", which is not one of the review conditions`);
      }
    }
  }
  const cycle = findCycle(tasks);
  if (cycle) problems.push(`dependencies form a cycle: ${cycle.join(" → ")}`);
  for (const c of conditions) {
    const covered = tasks.some((t) => t.conditions.some((x) => canonicalCondition(x, [c]) === c));
    if (!covered) {
      problems.push(
        `no task addresses the review condition "${c}"; add it to the conditions of the task that satisfies it`,
      );
    }
  }
  return problems;
}

function findCycle(tasks: readonly Pick<PlannedTask, "id" | "dependsOn">[]): string[] | undefined {
  const deps = new Map(tasks.map((t) => [t.id, t.dependsOn]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done" || !deps.has(id)) return undefined;
    if (state.get(id) === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const d of deps.get(id) ?? []) {
      if (d === id) continue;
      const found = visit(d);
      if (found) return found;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const t of tasks) {
    const found = visit(t.id);
    if (found) return found;
  }
  return undefined;
}

/** Dependency levels: a task's wave is one after the latest wave it depends on. Needs a valid plan. */
export function assignWaves<T extends Pick<PlannedTask, "id" | "dependsOn">>(
  tasks: readonly T[],
): (T & { wave: number })[] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const memo = new Map<string, number>();
  const level = (id: string): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const deps = byId.get(id)?.dependsOn ?? [];
    const l = 1 + Math.max(0, ...deps.map(level));
    memo.set(id, l);
    return l;
  };
  return tasks.map((t) => ({ ...t, wave: level(t.id) }));
}

/** "Wave 1: T1, T2 (parallel) → Wave 2: T3" */
export function waveLine(tasks: readonly { key: string; wave: number }[]): string {
  const waves = [...new Set(tasks.map((t) => t.wave))].sort((a, b) => a - b);
  return waves
    .map((w) => {
      const keys = tasks.filter((t) => t.wave === w).map((t) => t.key);
      return `Wave ${w}: ${keys.join(", ")}${keys.length > 1 ? " (parallel)" : ""}`;
    })
    .join(" → ");
}

/** Two tasks that name a common file in scope must not run at the same time. */
export function sharesFile(a: { files: string[] }, b: { files: string[] }): boolean {
  const clean = (f: string) => f.trim().replace(/^\.\//, "");
  const set = new Set(a.files.map(clean));
  return b.files.some((f) => set.has(clean(f)));
}
