import { stdin, stdout } from "node:process";
import { type Command, type Config, loadConfig } from "../config.ts";
import { pendingCta } from "../db/ctas.ts";
import { insertEvent } from "../db/events.ts";
import { withTransaction } from "../db/pool.ts";
import { FINISHED, type RunRow, requireRun, updateRun } from "../db/runs.ts";
import { PaulError, toPaulError } from "../errors.ts";
import { isPhase } from "../pipeline/phases.ts";
import { cancelRun, enqueuePhase, startRun } from "../pipeline/run.ts";
import { heldElsewhere, startWorker } from "../queue/worker.ts";
import { makeRedactor } from "../redact.ts";
import { setSandboxPolicy } from "../workspace/sandbox-policy.ts";
import { type App, openAppWith } from "./app.ts";
import { type AutoAnswers, LineReader, terminalAnswerer } from "./ask.ts";
import { type BuildRequest, cliUser, prepareRun } from "./build.ts";
import { runsText, showText } from "./commands.ts";
import { runDemo } from "./demo.ts";
import { follow } from "./follow.ts";
import { interrupted } from "./interrupt.ts";

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
  input?: NodeJS.ReadableStream;
}

interface FollowOpts extends AutoAnswers {
  budgetUsd?: number | undefined;
}

/** Exit codes: 0 done, 1 failed, 2 bad input or config, 3 waiting for a decision, 4 cancelled. */
export function runCli(env: NodeJS.ProcessEnv, io: CliIO) {
  let code = 0;
  let redact = makeRedactor([]);
  const cwd = env.INIT_CWD ?? process.cwd();
  const config = (command: Command): Config => {
    const cfg = loadConfig(env, command);
    redact = cfg.redact;
    setSandboxPolicy(cfg.sandbox);
    return cfg;
  };
  const log = (s: string) => io.err(`${s}\n`);

  async function withApp<T>(cfg: Config, fn: (app: App) => Promise<T>): Promise<T> {
    const app = await openAppWith(cfg, log);
    try {
      return await fn(app);
    } finally {
      await app.close();
    }
  }

  /**
   * Run a worker for this run only, in this process, and follow the run until
   * it ends or waits for a person. Ctrl-C stops cleanly: the worker stops
   * taking jobs, running agents and commands are killed, interrupted jobs go
   * back to the queue as they were, the database is closed (the embedded one
   * stopped when no other Paul uses it); a second Ctrl-C forces the exit.
   */
  async function drive(app: App, runId: string, o: FollowOpts, fromStart: boolean): Promise<void> {
    const worker = await startWorker(app.deps, { onlyRun: runId, log });
    const reader = new LineReader(io.input ?? stdin, stdout);
    const stop = interrupted(io);
    const following = follow(
      app.deps,
      runId,
      { out: io.out, who: cliUser(), answer: terminalAnswerer(reader, o, io.out) },
      fromStart,
    );
    // Settled below either way; a follow abandoned at Ctrl-C may fail as the pool closes.
    following.catch(() => {});
    try {
      const end = await Promise.race([
        following.then((e) => ({ kind: "end" as const, e })),
        stop.signal.then((signal) => ({ kind: "signal" as const, signal })),
        worker.failed.then((err) => ({ kind: "failed" as const, err })),
      ]);
      if (end.kind === "end") code = exitFor(end.e.run, end.e.left);
      else if (end.kind === "signal") {
        io.err(`\nInterrupted. Nothing is lost: continue with \`paul resume ${runId}\`.\n`);
        code = end.signal === "SIGTERM" ? 143 : 130;
      } else throw end.err;
    } catch (e) {
      throw stoppedBy(e, runId);
    } finally {
      reader.close();
      await worker.stop({ abort: true });
      stop.dispose();
    }
  }

  return {
    redact: (s: string) => redact(s),
    exitCode: () => code,

    async build(feature: string, o: Omit<BuildRequest, "feature"> & FollowOpts) {
      const cfg = config("build");
      const prepared = await prepareRun(cfg, { feature, repo: o.repo, base: o.base }, cwd);
      if (prepared.gates.gates.length === 0) {
        io.err(
          "Warning: this repository defines no gates (typecheck, test, lint, build); Paul can't verify the change. See README → Gates.\n",
        );
      }
      await withApp(cfg, async (app) => {
        const run = await startRun(app.db.pool, {
          id: prepared.id,
          feature: prepared.feature,
          repoSpec: prepared.repo.spec,
          repoUrl: prepared.repo.url,
          repoKey: prepared.repo.key,
          baseBranch: prepared.base.branch,
          baseCommit: prepared.base.commit,
          origin: "cli",
          requester: cliUser(),
          budgetUsd: o.budgetUsd ?? cfg.budget.usd,
          budgetTokens: cfg.budget.tokens,
          gates: prepared.gates,
        });
        await drive(app, run.id, o, true);
      });
    },

    async resume(id: string, o: FollowOpts) {
      const cfg = config("resume");
      await withApp(cfg, async (app) => {
        const pool = app.db.pool;
        const run = await requireRun(pool, id);
        if (run.status === "done" || run.status === "cancelled") {
          throw new PaulError(
            "bad_input",
            `Run ${id} has already ${run.status === "done" ? "finished" : "been cancelled"}; nothing to resume.`,
            {
              hint: "start a new one with paul build",
            },
          );
        }
        await withTransaction(pool, async (tx) => {
          if (o.budgetUsd !== undefined)
            await updateRun(tx, id, { budget_usd: String(o.budgetUsd) });
          // A job whose worker died on its last attempt would never run again.
          await tx.query(
            "update graphile_worker._private_jobs set max_attempts = greatest(max_attempts, attempts + 1) where key like $1",
            [`${id}:%`],
          );
          const open = await pendingCta(tx, id);
          const queued = await tx.query(
            "select 1 from graphile_worker._private_jobs where key like $1",
            [`${id}:%`],
          );
          if (!open && queued.rowCount === 0 && isPhase(run.phase)) {
            await updateRun(tx, id, { status: "running", error: null });
            await enqueuePhase(tx, id, run.phase);
            await insertEvent(tx, id, "progress", {
              phase: run.phase,
              message: `resumed by ${cliUser()}`,
            });
          }
        });
        io.out(`Resuming run ${id} (${run.status}, phase ${run.phase}).\n`);
        for (const h of await heldElsewhere(pool, id)) {
          io.out(
            `${h.jobs} job(s) of this run are running in another Paul process (${h.host}${h.pid ? `, pid ${h.pid}` : ""}); following them here, and taking over if that process stops.\n`,
          );
        }
        await drive(app, id, o, false);
      });
    },

    async runs(limit: number) {
      await withApp(config("read"), async (app) => io.out(await runsText(app.db.pool, limit)));
    },

    async show(id: string) {
      await withApp(config("read"), async (app) => io.out(await showText(app.db.pool, id, redact)));
    },

    async cancel(id: string) {
      await withApp(config("read"), async (app) => {
        const run = await cancelRun(app.db.pool, id, cliUser());
        io.out(`Run ${run.id} cancelled.\n`);
      });
    },

    async worker(concurrency?: number) {
      const cfg = config("worker");
      await withApp(cfg, async (app) => {
        const w = await startWorker(app.deps, { ...(concurrency ? { concurrency } : {}), log });
        io.out(
          `Worker running (concurrency ${concurrency ?? cfg.workerConcurrency}). Ctrl-C stops it; running jobs go back to the queue for the next worker.\n`,
        );
        const stop = interrupted(io);
        const end = await Promise.race([stop.signal, w.failed]);
        await w.stop({ abort: true });
        stop.dispose();
        if (typeof end !== "string") {
          throw new PaulError("database_unavailable", end.message, {
            hint: "runs in flight are kept; they continue when a worker starts again (paul worker or paul serve)",
          });
        }
      });
    },

    async migrate() {
      await withApp(config("migrate"), async () => io.out("Database is up to date.\n"));
    },

    async demo() {
      code = await runDemo(env, io, (e) => runCli(e, io));
    },
  };
}

/** A failure that stops the terminal's run: the run is kept, and the message says how to go on. */
function stoppedBy(e: unknown, runId: string): PaulError {
  const err = toPaulError(e);
  if (err.code !== "database_unavailable") return err;
  return new PaulError(
    "database_unavailable",
    `${err.message}\nThe run is stopped here; nothing is lost.`,
    {
      hint: `when the database is back, continue with \`paul resume ${runId}\``,
      cause: err,
    },
  );
}

function exitFor(run: RunRow, left: boolean): number {
  if (left || !FINISHED.includes(run.status)) return 3;
  return run.status === "done" ? 0 : run.status === "cancelled" ? 4 : 1;
}
