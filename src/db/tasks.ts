import type { Queryable } from "./pool.ts";

export type TaskStatus = "pending" | "in_progress" | "validating" | "merged" | "abandoned" | "conflict" | "failed" | "skipped" | "paused";

export interface TaskRow {
  id: string;
  run_id: string;
  task_key: string;
  title: string;
  description: string;
  files: string[];
  size: string;
  depends_on: string[];
  conditions: string[];
  wave: number;
  status: TaskStatus;
  start_commit: string | null;
  result_commit: string | null;
  summary: string | null;
}

export interface AttemptRow {
  id: string;
  run_id: string;
  task_id: string;
  attempt_no: number;
  model: string;
  status: "running" | "passed" | "failed" | "agent_error" | "discarded";
  start_commit: string;
  result_commit: string | null;
  files_touched: string[];
  summary: string | null;
  prompt: string | null;
  failure: { kind: string; gate?: string; output: string } | null;
  ended_reason: string | null;
  started_at: Date;
  finished_at: Date | null;
}

export async function upsertTask(
  db: Queryable,
  t: { runId: string; key: string; title: string; description: string; files: string[]; size: string; dependsOn: string[]; conditions: string[]; wave: number },
): Promise<TaskRow> {
  const res = await db.query<TaskRow>(
    `insert into impl_tasks (run_id, task_key, title, description, files, size, depends_on, conditions, wave)
     values ($1,$2,$3,$4,$5,$6,$7,$8,$9)
     on conflict (run_id, task_key) do update set updated_at = now() returning *`,
    [t.runId, t.key, t.title, t.description, JSON.stringify(t.files), t.size, JSON.stringify(t.dependsOn), JSON.stringify(t.conditions), t.wave],
  );
  return res.rows[0]!;
}

export async function updateTask(
  db: Queryable,
  id: string,
  patch: Partial<Pick<TaskRow, "status" | "start_commit" | "result_commit" | "summary">>,
): Promise<void> {
  const keys = Object.keys(patch) as (keyof typeof patch)[];
  await db.query(
    `update impl_tasks set ${keys.map((k, i) => `${k} = $${i + 2}`).join(", ")}, updated_at = now() where id = $1`,
    [id, ...keys.map((k) => patch[k])],
  );
}

export async function listTasks(db: Queryable, runId: string): Promise<TaskRow[]> {
  return (await db.query<TaskRow>("select * from impl_tasks where run_id = $1 order by wave, task_key", [runId])).rows;
}

/** A half-finished attempt of a worker that died is discarded, not counted as a failure. */
export async function discardRunningAttempts(db: Queryable, taskId: string): Promise<number> {
  const res = await db.query(
    "update coder_attempts set status = 'discarded', ended_reason = 'interrupted', finished_at = now() where task_id = $1 and status = 'running'",
    [taskId],
  );
  return res.rowCount ?? 0;
}

export async function insertAttempt(
  db: Queryable,
  a: { runId: string; taskId: string; attemptNo: number; model: string; startCommit: string; prompt: string },
): Promise<AttemptRow> {
  const res = await db.query<AttemptRow>(
    `insert into coder_attempts (run_id, task_id, attempt_no, model, start_commit, prompt) values ($1,$2,$3,$4,$5,$6) returning *`,
    [a.runId, a.taskId, a.attemptNo, a.model, a.startCommit, a.prompt],
  );
  return res.rows[0]!;
}

export async function finishAttempt(
  db: Queryable,
  id: string,
  f: { status: AttemptRow["status"]; resultCommit?: string | null; filesTouched: string[]; summary: string; failure?: AttemptRow["failure"]; endedReason: string },
): Promise<void> {
  await db.query(
    `update coder_attempts set status = $2, result_commit = $3, files_touched = $4, summary = $5, failure = $6,
       ended_reason = $7, finished_at = now() where id = $1`,
    [id, f.status, f.resultCommit ?? null, JSON.stringify(f.filesTouched), f.summary, f.failure ? JSON.stringify(f.failure) : null, f.endedReason],
  );
}

export async function listAttempts(db: Queryable, runId: string): Promise<AttemptRow[]> {
  return (await db.query<AttemptRow>("select * from coder_attempts where run_id = $1 order by id", [runId])).rows;
}

export async function insertGateResult(
  db: Queryable,
  g: { runId: string; attemptId: string | null; scope: string; gate: string; status: "passed" | "failed"; command: string; output: string; durationMs: number },
): Promise<void> {
  await db.query(
    `insert into gate_results (run_id, attempt_id, scope, gate, status, command, output, duration_ms) values ($1,$2,$3,$4,$5,$6,$7,$8)`,
    [g.runId, g.attemptId, g.scope, g.gate, g.status, g.command, g.output, g.durationMs],
  );
}

export interface GateRow {
  attempt_id: string | null;
  gate: string;
  status: "passed" | "failed";
  command: string;
  output: string;
  duration_ms: number;
}

export async function listGateResults(db: Queryable, runId: string): Promise<GateRow[]> {
  return (await db.query<GateRow>("select * from gate_results where run_id = $1 order by id", [runId])).rows;
}
