import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { type Runner, run, type TaskList, type WorkerEvents } from "graphile-worker";
import analysis from "../../tasks/analysis.ts";
import approaches from "../../tasks/approaches.ts";
import implFinish from "../../tasks/impl-finish.ts";
import implTask from "../../tasks/impl-task.ts";
import implementation from "../../tasks/implementation.ts";
import judging from "../../tasks/judging.ts";
import pr from "../../tasks/pr.ts";
import { quietLogger } from "../db/migrate.ts";
import type { Pool } from "../db/pool.ts";
import type { Deps } from "../pipeline/deps.ts";
import type { JobName } from "./catalog.ts";

const TASKS: Record<JobName, (deps: Deps) => TaskList[string]> = {
  analysis,
  approaches,
  judging,
  implementation,
  pr,
  impl_task: implTask,
  impl_finish: implFinish,
};

export interface WorkerHandle {
  runner: Runner;
  stop(): Promise<void>;
}

export async function startWorker(
  deps: Deps,
  opts: { concurrency?: number } = {},
): Promise<WorkerHandle> {
  const taskList: TaskList = {};
  for (const [name, make] of Object.entries(TASKS)) taskList[name] = make(deps);
  await unlockDeadWorkers(deps.pool, deps.cfg.workerStaleSeconds);
  const ids = new Set<string>();
  // Jobs are locked by the pool's id. Listen before run() creates the pool: a
  // pool we never heartbeat for would look dead and lose its own jobs.
  const events: WorkerEvents = new EventEmitter();
  events.on("pool:create", ({ workerPool }) => {
    ids.add(workerPool.id);
    void beat(deps.pool, [workerPool.id]).catch(() => {});
  });
  const runner = await run({
    events,
    pgPool: deps.pool,
    taskList,
    concurrency: opts.concurrency ?? deps.cfg.workerConcurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: quietLogger,
  });
  const timer = setInterval(
    () => {
      void beat(deps.pool, [...ids])
        .then(() => unlockDeadWorkers(deps.pool, deps.cfg.workerStaleSeconds))
        .catch(() => {});
    },
    Math.min(5000, (deps.cfg.workerStaleSeconds * 1000) / 3),
  );
  return {
    runner,
    async stop() {
      clearInterval(timer);
      await runner.stop().catch(() => {});
      await deps.pool.query("delete from workers where id = any($1)", [[...ids]]).catch(() => {});
    },
  };
}

async function beat(pool: Pool, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await pool.query(
    `insert into workers (id, host, last_seen) select unnest($1::text[]), $2, now()
     on conflict (id) do update set last_seen = now()`,
    [ids, hostname()],
  );
}

/**
 * A worker killed mid-job leaves its job locked (graphile-worker would wait
 * hours). Workers heartbeat; jobs of workers silent for staleSeconds, or of
 * workers never seen at all, are unlocked so another worker can take them.
 */
export async function unlockDeadWorkers(pool: Pool, staleSeconds: number): Promise<string[]> {
  const res = await pool.query<{ locked_by: string }>(
    `select distinct j.locked_by from graphile_worker._private_jobs j
      left join workers w on w.id = j.locked_by
      where j.locked_by is not null
        and (w.id is null and j.locked_at < now() - make_interval(secs => $1)
             or w.last_seen < now() - make_interval(secs => $1))`,
    [staleSeconds],
  );
  const dead = res.rows.map((r) => r.locked_by);
  if (dead.length > 0) {
    await pool.query("select graphile_worker.force_unlock_workers($1::text[])", [dead]);
    await pool.query("delete from workers where id = any($1)", [dead]);
  }
  return dead;
}
