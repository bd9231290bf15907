import { pendingCta } from "../../db/ctas.ts";
import { lockPlan, updatePlan } from "../../db/plans.ts";
import type { Queryable } from "../../db/pool.ts";
import { FINISHED, getRun } from "../../db/runs.ts";
import {
  listTasks,
  TASK_ACTIVE,
  TASK_AWAITING,
  type TaskPatch,
  type TaskRow,
  updateTask,
} from "../../db/tasks.ts";
import { enqueue } from "../../queue/jobs.ts";
import { pauseOptions } from "../options.ts";
import { askQuestion } from "../run.ts";
import { emitBoard } from "./board.ts";
import { IMPL_FINISH, IMPL_TASK } from "./job-specs.ts";
import { waveStep } from "./next-step.ts";
import { sharesFile } from "./plan.ts";
import { LEFT_OUT } from "./schema.ts";

/** Tasks that will never merge: what depends on them can't start. */
const isDead = (t: TaskRow | undefined): t is TaskRow => LEFT_OUT.some((s) => s === t?.status);

/**
 * Move a run's implementation forward from whatever state it is in: block
 * the dependants of tasks that will never merge, ask about a task (or a
 * wave) that needs a person, open the next wave when the current one is
 * done, queue what may start (up to the plan's concurrency, never two tasks
 * sharing a file), and queue the integration gates after the last wave.
 *
 * Database work only, under the plan's row lock, so it runs inside a merge,
 * at the end of a task, in a CTA decision or in a resumed phase job, and any
 * of them, on any worker, reaches the same state. Call it in a transaction.
 */
export async function advance(
  tx: Queryable,
  runId: string,
  /** changed: the caller changed tasks, so the table is sent; quiet: the caller sends it. */
  opts: { changed?: boolean; quiet?: boolean } = {},
): Promise<void> {
  const plan = await lockPlan(tx, runId);
  if (plan?.stage !== "waves") return;
  const run = await getRun(tx, runId);
  if (!run || FINISHED.includes(run.status)) return;
  const tasks = await listTasks(tx, runId);
  let changed = opts.changed ?? false;
  const set = async (t: TaskRow, patch: TaskPatch) => {
    await updateTask(tx, t.id, patch);
    Object.assign(t, patch);
    changed = true;
  };
  const byKey = (k: string) => tasks.find((t) => t.task_key === k);

  for (let again = true; again; ) {
    again = false;
    for (const t of tasks.filter((x) => x.status === "pending")) {
      const dead = t.depends_on.map(byKey).filter(isDead);
      if (dead.length === 0) continue;
      const why = dead.map((d) => `${d.task_key} (${d.status})`).join(", ");
      await set(t, { status: "blocked", reason: `depends on ${why}` });
      again = true;
    }
  }

  let waiting = (await pendingCta(tx, runId)) !== undefined;
  const ask = async (prompt: string, subject: string, taskKey: string | null, wave: number) => {
    await askQuestion(tx, {
      runId,
      kind: "pause",
      prompt,
      options: pauseOptions(subject),
      taskKey,
      wave,
    });
    waiting = true;
  };
  const stuck = tasks.find((t) => TASK_AWAITING.includes(t.status));
  if (!waiting && stuck) {
    await ask(
      pausePrompt(stuck, dependantsOf(tasks, [stuck.task_key])),
      stuck.task_key,
      stuck.task_key,
      stuck.wave,
    );
  }

  for (let open = true; open; ) {
    const step = waveStep(tasks, plan.wave);
    switch (step.kind) {
      case "wait":
        open = false;
        break;
      case "pause": {
        if (!waiting) {
          const failed = step.failed;
          const keys = failed.map((t) => t.task_key);
          const why = failed.map((t) => `${t.task_key}: ${t.reason ?? "abandoned"}`).join("; ");
          const after = dependantsOf(tasks, keys);
          await ask(
            `Every task of wave ${plan.wave} failed (${why}). Retry ${keys.join(", ")}, skip ${keys.length > 1 ? "them" : "it"}${after.length > 0 ? ` and what depends on ${keys.length > 1 ? "them" : "it"} (${after.join(", ")})` : ""}, or cancel the run?`,
            `wave ${plan.wave}`,
            null,
            plan.wave,
          );
        }
        open = false;
        break;
      }
      case "finish":
        await updatePlan(tx, runId, { stage: "finishing" });
        await enqueue(tx, IMPL_FINISH, { runId, generation: plan.finish_gen });
        if (changed && !opts.quiet) await emitBoard(tx, runId, "status");
        return;
      case "next":
        plan.wave = step.wave;
        await updatePlan(tx, runId, { wave: plan.wave });
    }
  }

  const current = tasks.filter((t) => t.wave === plan.wave);
  const active = current.filter((t) => TASK_ACTIVE.includes(t.status));
  for (const t of current.filter((x) => x.status === "pending")) {
    if (active.length >= plan.concurrency) break;
    if (active.some((a) => sharesFile(a, t))) continue;
    // The feature branch as it stands now: after the previous wave, and after
    // any task of this wave it had to wait for because they share a file.
    await set(t, { status: "queued", start_commit: plan.feature_commit, reason: null });
    active.push(t);
  }
  // Keys dedupe, so this only restores jobs a resumed run lost.
  for (const t of active) {
    await enqueue(tx, IMPL_TASK, { runId, taskKey: t.task_key, generation: t.generation });
  }
  if (changed && !opts.quiet) await emitBoard(tx, runId, "status");
}

/** Every task that (transitively) depends on one of `keys`. */
export function dependantsOf(tasks: readonly TaskRow[], keys: readonly string[]): string[] {
  const out = new Set<string>();
  const grow = (k: string) => {
    for (const t of tasks) {
      if (t.depends_on.includes(k) && !out.has(t.task_key)) {
        out.add(t.task_key);
        grow(t.task_key);
      }
    }
  };
  for (const k of keys) grow(k);
  return [...out];
}

function pausePrompt(t: TaskRow, after: string[]): string {
  const skip = `skip it${after.length > 0 ? ` and what depends on it (${after.join(", ")})` : ""}`;
  if (t.status === "conflict") {
    return `${t.task_key} "${t.title}" passed its gates but could not be merged: ${t.reason ?? "merge conflict"}. Retry it from the current feature branch, ${skip}, or cancel the run?`;
  }
  return `${t.task_key} "${t.title}" paused: ${t.reason ?? "its gates still fail"}. Retry it, ${skip}, or cancel the run?`;
}
