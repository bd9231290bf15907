import { attemptStatuses } from "../../db/attempts.ts";
import { insertEvent, type TaskBoardEntry, type TasksEvent } from "../../db/events.ts";
import type { Queryable } from "../../db/pool.ts";
import { listTasks, type TaskRow } from "../../db/tasks.ts";
import { countsAsAttempt } from "./next-step.ts";
import { waveLine } from "./plan.ts";

function boardStatus(s: TaskRow["status"]): TaskBoardEntry["status"] {
  if (s === "queued") return "pending";
  if (s === "paused") return "failed";
  return s;
}

/** The wave table as it stands in the database: what the terminal and Slack show. */
export async function taskBoard(db: Queryable, runId: string): Promise<Omit<TasksEvent, "change">> {
  const tasks = await listTasks(db, runId);
  const attempts = await attemptStatuses(db, runId);
  const attemptsOf = (t: TaskRow) =>
    attempts.filter(
      (a) => a.task_id === t.id && a.generation === t.generation && countsAsAttempt(a),
    ).length;
  const waves = [...new Set(tasks.map((t) => t.wave))].sort((a, b) => a - b);
  return {
    line: waveLine(tasks.map((t) => ({ key: t.task_key, wave: t.wave }))),
    waves: waves.map((wave) => ({
      wave,
      tasks: tasks
        .filter((t) => t.wave === wave)
        .map((t): TaskBoardEntry => {
          const working = t.status === "in_progress" || t.status === "validating";
          return {
            key: t.task_key,
            title: t.title,
            size: t.size,
            dependsOn: t.depends_on,
            status: boardStatus(t.status),
            attempt: working ? Math.max(1, attemptsOf(t)) : null,
            maxAttempts: working ? t.max_attempts : null,
            note: t.reason,
          };
        }),
    })),
  };
}

export async function emitBoard(
  db: Queryable,
  runId: string,
  change: TasksEvent["change"],
): Promise<void> {
  await insertEvent(db, runId, "tasks", { change, ...(await taskBoard(db, runId)) });
}
