import type { Queryable } from "./pool.ts";
import { oneRow } from "./rows.ts";

/** Coder attempts: every one stored with its model, files, summary, failure, review and usage. */

export interface AttemptFailure {
  kind: string;
  gate?: string;
  output: string;
  /** A merge conflict: the files it conflicted in. */
  files?: string[];
}

export interface Review {
  approved: boolean;
  requiredChanges: string[];
  summary: string;
}

export interface AttemptUsage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

export interface AttemptRow {
  id: string;
  run_id: string;
  task_id: string;
  attempt_no: number;
  generation: number;
  model: string;
  status: "running" | "passed" | "failed" | "agent_error" | "discarded";
  start_commit: string;
  result_commit: string | null;
  files_touched: string[];
  summary: string | null;
  prompt: string | null;
  failure: AttemptFailure | null;
  review: Review | null;
  usage: AttemptUsage | null;
  ended_reason: string | null;
  started_at: Date;
  finished_at: Date | null;
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
  a: {
    runId: string;
    taskId: string;
    attemptNo: number;
    generation: number;
    model: string;
    startCommit: string;
    prompt: string;
  },
): Promise<AttemptRow> {
  const res = await db.query<AttemptRow>(
    `insert into coder_attempts (run_id, task_id, attempt_no, generation, model, start_commit, prompt)
     values ($1,$2,$3,$4,$5,$6,$7) returning *`,
    [a.runId, a.taskId, a.attemptNo, a.generation, a.model, a.startCommit, a.prompt],
  );
  return oneRow(res, "insert into coder_attempts");
}

export async function finishAttempt(
  db: Queryable,
  id: string,
  f: {
    status: AttemptRow["status"];
    resultCommit?: string | null;
    filesTouched: string[];
    summary: string;
    failure?: AttemptRow["failure"];
    endedReason: string;
    usage?: AttemptUsage;
  },
): Promise<void> {
  await db.query(
    `update coder_attempts set status = $2, result_commit = $3, files_touched = $4, summary = $5, failure = $6,
       ended_reason = $7, usage = $8, finished_at = now() where id = $1`,
    [
      id,
      f.status,
      f.resultCommit ?? null,
      JSON.stringify(f.filesTouched),
      f.summary,
      f.failure ? JSON.stringify(f.failure) : null,
      f.endedReason,
      f.usage ? JSON.stringify(f.usage) : null,
    ],
  );
}

/** What happened to a passing attempt after its gates: the reviewer's verdict or a merge conflict. */
export async function noteAttempt(
  db: Queryable,
  id: string,
  n: { review?: Review; failure?: AttemptFailure; endedReason: string },
): Promise<void> {
  await db.query(
    `update coder_attempts set review = coalesce($2, review), failure = coalesce($3, failure), ended_reason = $4
     where id = $1`,
    [
      id,
      n.review ? JSON.stringify(n.review) : null,
      n.failure ? JSON.stringify(n.failure) : null,
      n.endedReason,
    ],
  );
}

export async function listAttempts(db: Queryable, runId: string): Promise<AttemptRow[]> {
  return (
    await db.query<AttemptRow>("select * from coder_attempts where run_id = $1 order by id", [
      runId,
    ])
  ).rows;
}

/** Every attempt's task, generation and status: what the wave table counts (see countsAsAttempt). */
export async function attemptStatuses(
  db: Queryable,
  runId: string,
): Promise<Pick<AttemptRow, "task_id" | "generation" | "status">[]> {
  const res = await db.query<Pick<AttemptRow, "task_id" | "generation" | "status">>(
    "select task_id, generation, status from coder_attempts where run_id = $1",
    [runId],
  );
  return res.rows;
}
