import type { Queryable } from "./pool.ts";
import type { TaskStatus } from "./tasks.ts";

/** A task as the wave table shows it; `queued` is shown as pending. */
export interface TaskBoardEntry {
  key: string;
  title: string;
  size: string;
  dependsOn: string[];
  /** queued and paused are shown as pending and failed. */
  status: Exclude<TaskStatus, "queued" | "paused">;
  /** While in progress or validating: this generation's attempt number and its limit. */
  attempt: number | null;
  maxAttempts: number | null;
  /** Why it is abandoned, blocked, skipped, in conflict or failed; "review" while reviewed. */
  note: string | null;
}

/** The implementation's wave table, sent when the plan is made and on every task status change. */
export interface TasksEvent {
  change: "plan" | "status";
  /** One line: "Wave 1: T1, T2 (parallel) → Wave 2: T3". */
  line: string;
  waves: { wave: number; tasks: TaskBoardEntry[] }[];
}

/** Everything a run tells the people watching it; the terminal and Slack render these. */
export interface RunEventMap {
  run_created: { feature: string; repo: string; base: string };
  phase_started: { phase: string; revision: number };
  progress: { phase: string; message: string };
  /** One agent's model call has gone this long without a complete answer (sent every PAUL_MODEL_NOTICE_SECONDS). */
  model_waiting: { phase: string; label: string; seconds: number };
  phase_output: { phase: string; revision: number };
  warning: { message: string };
  cta_created: { ctaId: string; kind: string; prompt: string };
  cta_resolved: { ctaId: string; action: string; by: string };
  retrying: { phase: string; message: string; attempt: number };
  run_finished: { status: string; message: string };
  tasks: TasksEvent;
}
export type RunEventKind = keyof RunEventMap;

/**
 * A stored event. Without a type argument it is the union of every kind, so a
 * `switch (ev.kind)` narrows `ev.data` with no cast.
 */
export type RunEventRow<K extends RunEventKind = RunEventKind> = {
  [P in K]: { id: string; run_id: string; kind: P; data: RunEventMap[P]; created_at: Date };
}[K];

export const EVENTS_CHANNEL = "paul_run_events";

export async function insertEvent<K extends RunEventKind>(
  db: Queryable,
  runId: string,
  kind: K,
  data: RunEventMap[K],
): Promise<void> {
  await db.query(
    `with e as (insert into run_events (run_id, kind, data) values ($1, $2, $3) returning id)
     select pg_notify($4, $1) from e`,
    [runId, kind, JSON.stringify(data), EVENTS_CHANNEL],
  );
}

export async function eventsAfter(
  db: Queryable,
  runId: string,
  afterId: string,
): Promise<RunEventRow[]> {
  return (
    await db.query<RunEventRow>(
      "select * from run_events where run_id = $1 and id > $2 order by id",
      [runId, afterId],
    )
  ).rows;
}

/** The id of the run's latest event, "0" when it has none: where a follower that joins late starts. */
export async function lastEventId(db: Queryable, runId: string): Promise<string> {
  const r = await db.query<{ id: string }>(
    "select coalesce(max(id), 0)::text as id from run_events where run_id = $1",
    [runId],
  );
  return r.rows[0]?.id ?? "0";
}
