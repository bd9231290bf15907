import { stdin, stdout } from "node:process";
import { type App, configure, openAppWith } from "../app.ts";
import type { Command, Config } from "../config.ts";
import { FINISHED, type RunRow } from "../db/runs.ts";
import { PaulError, toPaulError } from "../errors.ts";
import { prepareNow } from "../pipeline/service.ts";
import { makeRedactor } from "../redact.ts";
import { startWorker } from "../worker.ts";
import { type AutoAnswers, LineReader, terminalAnswerer } from "./ask.ts";
import { type BuildRequest, cliUser } from "./build.ts";
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
    const cfg = configure(env, command);
    redact = cfg.redact;
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
      app,
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
      const prepared = await prepareNow(cfg, { feature, repo: o.repo, base: o.base }, cwd);
      if (prepared.gates.gates.length === 0) {
        io.err(
          "Warning: this repository defines no gates (typecheck, test, lint, build); Paul can't verify the change. See README → Gates.\n",
        );
      }
      await withApp(cfg, async (app) => {
        const run = await app.service.start(prepared, {
          origin: "cli",
          requester: cliUser(),
          budgetUsd: o.budgetUsd,
        });
        await drive(app, run.id, o, true);
      });
    },

    async resume(id: string, o: FollowOpts) {
      const cfg = config("resume");
      await withApp(cfg, async (app) => {
        const { run, heldElsewhere } = await app.service.resume(id, {
          by: cliUser(),
          budgetUsd: o.budgetUsd,
        });
        io.out(`Resuming run ${id} (${run.status}, phase ${run.phase}).\n`);
        for (const h of heldElsewhere) {
          io.out(
            `${h.jobs} job(s) of this run are running in another Paul process (${h.host}${h.pid ? `, pid ${h.pid}` : ""}); following them here, and taking over if that process stops.\n`,
          );
        }
        await drive(app, id, o, false);
      });
    },

    /** More work on a finished build's branch, driven here like a build. */
    async followup(id: string, request: string, o: FollowOpts) {
      const cfg = config("build");
      await withApp(cfg, async (app) => {
        const { run } = await app.service.followup(
          id,
          { source: "cli", author: cliUser(), text: request, comments: [] },
          { origin: "cli", requester: cliUser(), budgetUsd: o.budgetUsd },
        );
        if (!run) return;
        io.out(`Follow-up ${run.id} on ${run.branch} (run ${run.parent_run_id}).\n`);
        await drive(app, run.id, o, true);
      });
    },

    async runs(limit: number) {
      await withApp(config("read"), async (app) => io.out(await runsText(app.service, limit)));
    },

    async show(id: string) {
      await withApp(config("read"), async (app) => io.out(await showText(app.service, id, redact)));
    },

    async cancel(id: string) {
      await withApp(config("read"), async (app) => {
        const run = await app.service.cancel(id, cliUser());
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
