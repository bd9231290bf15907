import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import {
  type JobHelpers,
  Logger,
  type Runner,
  run,
  type TaskList,
  type WorkerEvents,
} from "graphile-worker";
import { isConnectionError, type Pool } from "../db/pool.ts";
import { PaulError, SHUTDOWN_REASON, toPaulError } from "../errors.ts";
import { processAlive } from "../workspace/lock.ts";
import { runFlag } from "./jobs.ts";

export type JobRunner = (payload: unknown, helpers: JobHelpers) => Promise<void>;

export interface QueueOptions {
  pool: Pool;
  /** What each job kind runs; built from the job catalog by the caller. */
  tasks: Record<string, JobRunner>;
  concurrency: number;
  /** A worker silent this long is dead and its jobs are taken over. */
  staleSeconds: number;
}

export interface WorkerOptions {
  concurrency?: number;
  /** Take only this run's jobs: `paul build`/`resume` drive their own run and nothing else. */
  onlyRun?: string;
  log?: (s: string) => void;
}

export interface WorkerHandle {
  /**
   * Stop taking jobs. `abort`: interrupt the running ones now (their agents
   * and commands are killed) and put them back in the queue as they were,
   * for `paul resume` or another worker; otherwise wait for them to finish.
   */
  stop(opts?: { abort?: boolean }): Promise<void>;
  /** Settles when the worker died and could not be restarted (the database stayed away). */
  failed: Promise<PaulError>;
}

/**
 * graphile-worker's own log, in Paul's, one line per message. Left out, each
 * for a reason: info and debug (lifecycle chatter such as "worker connected"
 * that would bury a run's output); a lost database connection (the pool tells
 * an outage once, as one line, and when it is over); a failed task (the job
 * boundary tells the run's watchers, with what happens next).
 */
const TOLD_ELSEWHERE =
  /unreachable|connection|ECONNREFUSED|terminating|not queryable|notify listener|UNLISTEN|^Failed task|Worker exited with error/i;

export function queueLogger(log: (s: string) => void): Logger {
  return new Logger(() => (level, message) => {
    if (level !== "error" && level !== "warning") return;
    if (TOLD_ELSEWHERE.test(message)) return;
    log(`worker ${level}: ${message.split("\n")[0] ?? ""}`);
  });
}

/**
 * Run jobs from the queue: heartbeats, takeover of dead workers' jobs, a
 * restart when the pool dies, and a shutdown that puts interrupted jobs back.
 */
export async function startQueue(q: QueueOptions, opts: WorkerOptions = {}): Promise<WorkerHandle> {
  const deps = { pool: q.pool, cfg: { workerStaleSeconds: q.staleSeconds } };
  const log = opts.log ?? (() => {});
  catchLostReleases(log);
  const { onlyRun } = opts;
  quietTraces(log);
  const shutdown = new AbortController();
  const interrupted = new Set<string>();
  const taskList: TaskList = {};
  for (const [name, task] of Object.entries(q.tasks)) {
    taskList[name] = async (payload, helpers) => {
      // graphile-worker aborts its jobs some seconds into its own shutdown;
      // either way the process is stopping, which is never the job's failure.
      const job = new AbortController();
      const stop = () => job.abort(SHUTDOWN_REASON);
      shutdown.signal.addEventListener("abort", stop, { once: true });
      helpers.abortSignal?.addEventListener("abort", stop, { once: true });
      const abortSignal = job.signal;
      try {
        return await task(payload, { ...helpers, abortSignal });
      } catch (e) {
        if (job.signal.aborted) interrupted.add(helpers.job.id);
        throw e;
      } finally {
        shutdown.signal.removeEventListener("abort", stop);
        helpers.abortSignal?.removeEventListener("abort", stop);
      }
    };
  }
  const ids = new Set<string>();
  let stopping = false;
  let reportFailure: (e: PaulError) => void = () => {};
  const failed = new Promise<PaulError>((resolve) => {
    reportFailure = resolve;
  });

  const start = async (): Promise<Runner> => {
    // Jobs are locked by the pool's id. Listen before run() creates the pool: a
    // pool we never heartbeat for would look dead and lose its own jobs.
    const events: WorkerEvents = new EventEmitter();
    events.on("pool:create", ({ workerPool }) => {
      ids.add(workerPool.id);
      // A first beat lost to an outage is sent again by the interval below, well within the stale window.
      void beat(deps.pool, [workerPool.id]).catch((e: unknown) =>
        log(`Worker heartbeat failed: ${toPaulError(e).message}`),
      );
    });
    const runner = await run({
      events,
      pgPool: deps.pool,
      taskList,
      concurrency: opts.concurrency ?? q.concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: queueLogger(log),
      ...(onlyRun ? { forbiddenFlags: () => otherRunsFlags(deps.pool, onlyRun) } : {}),
    });
    // A pool dies when it cannot release a finished job (the database went
    // away mid-release). Its jobs are still locked by its id: free them at
    // once (they are ours; nobody else is running them) and start again.
    runner.promise.catch(async (e: unknown) => {
      if (stopping) return;
      log(`The worker stopped (${toPaulError(e).message}); starting it again.`);
      const dead = [...ids];
      ids.clear();
      try {
        await unlock(deps.pool, dead);
        current = await start();
      } catch (err) {
        reportFailure(toPaulError(err));
      }
    });
    return runner;
  };

  await unlockDeadWorkers(deps.pool, deps.cfg.workerStaleSeconds);
  let current = await start();
  const timer = setInterval(
    () => {
      void beat(deps.pool, [...ids])
        .then(() => unlockDeadWorkers(deps.pool, deps.cfg.workerStaleSeconds))
        .catch((e: unknown) => log(`Worker heartbeat failed: ${toPaulError(e).message}`));
    },
    Math.min(5000, (deps.cfg.workerStaleSeconds * 1000) / 3),
  );
  return {
    failed,
    async stop(o = {}) {
      stopping = true;
      clearInterval(timer);
      if (o.abort) shutdown.abort(SHUTDOWN_REASON);
      await current
        .stop()
        .catch((e: unknown) => log(`The worker did not stop cleanly: ${toPaulError(e).message}`));
      // An interrupted attempt is not a failed one: the job goes back as it was.
      if (interrupted.size > 0) {
        await deps.pool
          .query(
            `update graphile_worker._private_jobs
                set attempts = greatest(attempts - 1, 0), run_at = now(), last_error = $2
              where id = any($1::bigint[])`,
            [[...interrupted], "interrupted by a shutdown"],
          )
          .catch((e: unknown) =>
            log(`Could not put interrupted jobs back: ${toPaulError(e).message}`),
          );
      }
      await deps.pool
        .query("delete from workers where id = any($1)", [[...ids]])
        .catch((e: unknown) => log(`Could not sign the worker off: ${toPaulError(e).message}`));
    },
  };
}

/**
 * graphile-worker `console.trace`s a worker that exits with an error (a job
 * fetch that failed while the worker was stopping during an outage). That
 * is a raw stack on the user's terminal for a foreseeable failure; Paul
 * reports the outage itself, so the trace becomes one line of its log.
 */
function quietTraces(log: (s: string) => void): void {
  console.trace = (...args: unknown[]) =>
    log(
      `worker: ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ")}`.split(
        "\n",
      )[0] ?? "",
    );
}

/**
 * graphile-worker releases a finished job (completeJob/failJob) without
 * awaiting it; when the database stays away past PAUL_DB_WAIT_SECONDS that
 * promise rejects with nobody to catch it (as does one whose connection was
 * cut mid-statement), which would crash the process with a stack trace.
 * Nothing is lost by letting it go: the job stays locked by this worker, and
 * whoever starts next (this process restarting its pool, or
 * `paul resume`) takes it over as a dead worker's and runs it again. Any
 * other unhandled rejection is rethrown, as Node would.
 */
let releaseLog: ((s: string) => void) | undefined;

function catchLostReleases(log: (s: string) => void): void {
  // Once per process, and never removed: a release still in flight when the
  // worker is stopped (Ctrl-C, or the outage outlasting the wait) rejects
  // after the stop, and must not crash the process on its way out either.
  const first = releaseLog === undefined;
  releaseLog = log;
  if (!first) return;
  let told = false;
  process.on("unhandledRejection", (reason: unknown) => {
    const lost =
      (reason instanceof PaulError && reason.code === "database_unavailable") ||
      isConnectionError(reason);
    if (!lost) throw reason;
    if (told) return;
    told = true;
    releaseLog?.(
      "A finished job could not be released while the database was away; it runs again when a worker takes it over.",
    );
  });
}

/** Flags of queued jobs that belong to other runs, for a worker that serves one run. */
async function otherRunsFlags(pool: Pool, runId: string): Promise<string[]> {
  const r = await pool.query<{ f: string }>(
    `select distinct f from graphile_worker._private_jobs j, jsonb_object_keys(j.flags) f
      where j.flags is not null and f <> $1`,
    [runFlag(runId)],
  );
  return r.rows.map((x) => x.f);
}

async function beat(pool: Pool, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await pool.query(
    `insert into workers (id, host, pid, last_seen) select unnest($1::text[]), $2, $3, now()
     on conflict (id) do update set last_seen = now()`,
    [ids, hostname(), process.pid],
  );
}

async function unlock(pool: Pool, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await pool.query("select graphile_worker.force_unlock_workers($1::text[])", [ids]);
  await pool.query("delete from workers where id = any($1)", [ids]);
}

/**
 * A worker killed mid-job leaves its job locked (graphile-worker would wait
 * hours). Workers heartbeat; jobs of workers silent for staleSeconds, or of
 * workers never seen at all, are unlocked so another worker can take them. A
 * worker on this host whose process is gone is dead for certain: its jobs are
 * taken at once, without waiting out the window.
 */
export async function unlockDeadWorkers(pool: Pool, staleSeconds: number): Promise<string[]> {
  const res = await pool.query<{
    locked_by: string;
    host: string | null;
    pid: number | null;
    stale: boolean;
  }>(
    `select j.locked_by, w.host, w.pid,
            bool_or(w.id is null and j.locked_at < now() - make_interval(secs => $1)
                    or w.last_seen < now() - make_interval(secs => $1)) as stale
       from graphile_worker._private_jobs j
       left join workers w on w.id = j.locked_by
      where j.locked_by is not null
      group by j.locked_by, w.host, w.pid`,
    [staleSeconds],
  );
  const here = hostname();
  const dead = res.rows
    .filter(
      (r) =>
        r.stale ||
        (r.host === here && r.pid !== null && r.pid !== process.pid && !processAlive(r.pid)),
    )
    .map((r) => r.locked_by);
  await unlock(pool, dead);
  return dead;
}

/** Jobs of a run that a live worker elsewhere holds, for telling the user who is at work. */
export async function heldElsewhere(
  pool: Pool,
  runId: string,
): Promise<{ host: string; pid: number | null; jobs: number }[]> {
  const r = await pool.query<{ host: string; pid: number | null; jobs: number }>(
    `select w.host, w.pid, count(*)::int as jobs from graphile_worker._private_jobs j
      join workers w on w.id = j.locked_by
      where j.flags ? $1 and not (w.host = $2 and w.pid = $3)
      group by w.host, w.pid`,
    [runFlag(runId), hostname(), process.pid],
  );
  return r.rows;
}
