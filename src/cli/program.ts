import { stdin, stdout } from "node:process";
import { type Command, type Config, loadConfig } from "../config.ts";
import { pendingCta } from "../db/ctas.ts";
import { insertEvent } from "../db/events.ts";
import { withTransaction } from "../db/pool.ts";
import { FINISHED, type RunRow, requireRun, updateRun } from "../db/runs.ts";
import { PaulError } from "../errors.ts";
import { isPhase } from "../pipeline/phases.ts";
import { cancelRun, enqueuePhase, startRun } from "../pipeline/run.ts";
import { startWorker } from "../queue/worker.ts";
import { makeRedactor } from "../redact.ts";
import { setSandboxPolicy } from "../workspace/sandbox-policy.ts";
import { type App, openAppWith } from "./app.ts";
import { type AutoAnswers, LineReader, terminalAnswerer } from "./ask.ts";
import { type BuildRequest, cliUser, prepareRun } from "./build.ts";
import { runsText, showText } from "./commands.ts";
import { runDemo } from "./demo.ts";
import { follow } from "./follow.ts";

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

  /** Run a worker in this process and follow the run until it ends or waits for a person. */
  async function drive(app: App, runId: string, o: FollowOpts, fromStart: boolean): Promise<void> {
    const worker = await startWorker(app.deps);
    const reader = new LineReader(io.input ?? stdin, stdout);
    const onSigint = () => {
      io.err(`\nInterrupted. Nothing is lost: continue with \`paul resume ${runId}\`.\n`);
      process.exit(130);
    };
    process.once("SIGINT", onSigint);
    try {
      const end = await follow(
        app.deps,
        runId,
        { out: io.out, who: cliUser(), answer: terminalAnswerer(reader, o, io.out) },
        fromStart,
      );
      code = exitFor(end.run, end.left);
    } finally {
      process.off("SIGINT", onSigint);
      reader.close();
      await worker.stop();
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
      const app = await openAppWith(cfg, log);
      const w = await startWorker(app.deps, concurrency ? { concurrency } : {});
      io.out(
        `Worker running (concurrency ${concurrency ?? cfg.workerConcurrency}). Ctrl-C stops it after its current jobs.\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await w.stop();
      await app.close();
    },

    async migrate() {
      await withApp(config("migrate"), async () => io.out("Database is up to date.\n"));
    },

    async demo() {
      code = await runDemo(env, io, (e) => runCli(e, io));
    },
  };
}

function exitFor(run: RunRow, left: boolean): number {
  if (left || !FINISHED.includes(run.status)) return 3;
  return run.status === "done" ? 0 : run.status === "cancelled" ? 4 : 1;
}
