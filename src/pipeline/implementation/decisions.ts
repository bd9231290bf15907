import type { CtaRow } from "../../db/ctas.ts";
import { addMemory } from "../../db/memories.ts";
import { lockPlan, type PauseCtaRow } from "../../db/plans.ts";
import type { Queryable } from "../../db/pool.ts";
import { requireRun, updateRun } from "../../db/runs.ts";
import { listTasks, updateTask } from "../../db/tasks.ts";
import { invariant } from "../../errors.ts";
import { advance } from "./advance.ts";

/**
 * A person's answer to an implementation pause, applied in the CTA's
 * transaction: retry starts the task (or the wave's failed tasks) again as a
 * new generation with a fresh attempt budget; skip leaves it out, and
 * advancing blocks what depends on it. Either way the run moves on at once.
 */
export async function decidePause(
  tx: Queryable,
  cta: CtaRow & Partial<Pick<PauseCtaRow, "task_key" | "wave">>,
  action: "retry" | "skip",
  by: string,
): Promise<string> {
  const run = await requireRun(tx, cta.run_id);
  // Taken before any task row, in the same order as a merge, so the two never deadlock.
  invariant(await lockPlan(tx, run.id), `run ${run.id} has no implementation plan to resume`);
  const tasks = await listTasks(tx, run.id);
  const subject = cta.task_key
    ? tasks.filter((t) => t.task_key === cta.task_key && t.status !== "merged")
    : tasks.filter((t) => t.wave === cta.wave && t.status === "abandoned");
  const keys = subject.map((t) => t.task_key);
  for (const t of subject) {
    if (action === "retry") {
      await updateTask(tx, t.id, {
        status: "pending",
        generation: t.generation + 1,
        reason: null,
        result_commit: null,
      });
    } else {
      await updateTask(tx, t.id, { status: "skipped", reason: `skipped by ${by}` });
    }
  }
  const what = keys.join(", ") || (cta.task_key ?? `wave ${cta.wave}`);
  await addMemory(tx, {
    runId: run.id,
    repoKey: run.repo_key,
    scope: "run",
    kind: "decision",
    phase: "implementation",
    content: `${by} chose to ${action} ${what} after: ${cta.prompt}`,
    author: by,
  });
  await updateRun(tx, run.id, { status: "running", phase: "implementation" });
  await advance(tx, run.id, { changed: true });
  return action === "retry" ? `${by} chose to retry ${what}.` : `${by} skipped ${what}.`;
}
