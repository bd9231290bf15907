import { taskList } from "../tasks/index.ts";
import type { Deps } from "./pipeline/deps.ts";
import { startQueue, type WorkerHandle, type WorkerOptions } from "./queue/worker.ts";

export type { WorkerHandle, WorkerOptions } from "./queue/worker.ts";

/**
 * A worker of this process: the task list (tasks/, derived from the job
 * catalog) on the queue's runner. Faces start one; the queue itself knows
 * nothing of phases and the pipeline nothing of graphile-worker's runner.
 */
export function startWorker(deps: Deps, opts: WorkerOptions = {}): Promise<WorkerHandle> {
  return startQueue(
    {
      pool: deps.pool,
      tasks: taskList(deps),
      concurrency: deps.cfg.workerConcurrency,
      staleSeconds: deps.cfg.workerStaleSeconds,
    },
    opts,
  );
}
