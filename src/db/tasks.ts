import type { Queryable } from "./pool.ts";
import { oneRow } from "./rows.ts";

export {
  type AttemptFailure,
  type AttemptRow,
  type AttemptUsage,
  discardRunningAttempts,
  finishAttempt,
  insertAttempt,
  listAttempts,
  noteAttempt,
  type Review,
} from "./attempts.ts";
export { type GateRow, insertGateResult, listGateResults } from "./gate-results.ts";

export type TaskStatus =
  | "pending"
  | "queued"
  | "in_progress"
  | "validating"
  | "merged"
  | "abandoned"
  | "conflict"
  | "failed"
  | "skipped"
  | "blocked"
  | "paused";

/** Statuses a task never leaves without a person deciding (retry) or at all. */
export const TASK_DONE: readonly TaskStatus[] = ["merged", "abandoned", "skipped", "blocked"];
/** Statuses that wait for a person: a pause CTA is (or will be) about them. */
export const TASK_AWAITING: readonly TaskStatus[] = ["failed", "conflict"];
/** Statuses of a task whose job is queued or running. */
export const TASK_ACTIVE: readonly TaskStatus[] = ["queued", "in_progress", "validating"];

export interface TaskRow {
  id: string;
  run_id: string;
  task_key: string;
  kind: "task" | "fix";
  title: string;
  description: string;
  files: string[];
  size: string;
  depends_on: string[];
  conditions: string[];
  wave: number;
  status: TaskStatus;
  generation: number;
  max_attempts: number;
  start_commit: string | null;
  result_commit: string | null;
  summary: string | null;
  reason: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface NewTask {
  runId: string;
  key: string;
  kind?: "task" | "fix";
  title: string;
  description: string;
  files: string[];
  size: string;
  dependsOn: string[];
  conditions: string[];
  wave: number;
  maxAttempts: number;
}

export async function upsertTask(db: Queryable, t: NewTask): Promise<TaskRow> {
  const res = await db.query<TaskRow>(
    `insert into impl_tasks (run_id, task_key, kind, title, description, files, size, depends_on, conditions, wave, max_attempts)
     values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
     on conflict (run_id, task_key) do update set updated_at = now() returning *`,
    [
      t.runId,
      t.key,
      t.kind ?? "task",
      t.title,
      t.description,
      JSON.stringify(t.files),
      t.size,
      JSON.stringify(t.dependsOn),
      JSON.stringify(t.conditions),
      t.wave,
      t.maxAttempts,
    ],
  );
  return oneRow(res, "upsert into impl_tasks");
}

export type TaskPatch = Partial<
  Pick<
    TaskRow,
    "status" | "start_commit" | "result_commit" | "summary" | "reason" | "generation" | "wave"
  >
>;

/** Start and finish times come from the database clock, so tasks on different machines compare. */
/** The columns a TaskPatch may set: SQL names come from this list, never from the patch. */
const TASK_PATCH_COLUMNS = [
  "status",
  "start_commit",
  "result_commit",
  "summary",
  "reason",
  "generation",
  "wave",
] as const satisfies readonly (keyof TaskPatch)[];

export async function updateTask(db: Queryable, id: string, patch: TaskPatch): Promise<void> {
  const keys = TASK_PATCH_COLUMNS.filter((k) => Object.hasOwn(patch, k));
  const sets = keys.map((k, i) => `${k} = $${i + 2}`);
  const s = patch.status;
  if (s === "in_progress") sets.push("started_at = coalesce(started_at, now())");
  if (s && TASK_DONE.includes(s)) sets.push("finished_at = now()");
  else if (s) sets.push("finished_at = null");
  await db.query(
    `update impl_tasks set ${[...sets, "updated_at = now()"].join(", ")} where id = $1`,
    [id, ...keys.map((k) => patch[k])],
  );
}

export async function listTasks(db: Queryable, runId: string): Promise<TaskRow[]> {
  return (
    await db.query<TaskRow>("select * from impl_tasks where run_id = $1 order by wave, task_key", [
      runId,
    ])
  ).rows;
}

export async function getTask(
  db: Queryable,
  runId: string,
  key: string,
): Promise<TaskRow | undefined> {
  return (
    await db.query<TaskRow>("select * from impl_tasks where run_id = $1 and task_key = $2", [
      runId,
      key,
    ])
  ).rows[0];
}
