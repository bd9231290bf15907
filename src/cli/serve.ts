import { configure, openAppWith } from "../app.ts";
import { isPaulError, PaulError } from "../errors.ts";
import { EVENTS_PATH } from "../slack/app.ts";
import { startSlackService } from "../slack/service.ts";
import { startWorker } from "../worker.ts";
import { interrupted } from "./interrupt.ts";

/**
 * `paul serve`: the Slack app, the notifier that keeps run threads up to date,
 * and a worker, sharing one database pool. More workers can run elsewhere
 * with `paul worker` against the same Postgres.
 */
export async function serve(
  env: NodeJS.ProcessEnv,
  io: { out: (s: string) => void; err: (s: string) => void },
  o: { concurrency?: number | undefined } = {},
): Promise<void> {
  const cfg = configure(env, "serve");
  const log = (s: string) => io.err(`${cfg.redact(s)}\n`);
  try {
    const app = await openAppWith(cfg, log);
    const worker = await startWorker(app.deps, {
      ...(o.concurrency ? { concurrency: o.concurrency } : {}),
      log,
    });
    let slack: Awaited<ReturnType<typeof startSlackService>>;
    try {
      slack = await startSlackService({ deps: app.deps, dbUrl: app.db.url, log });
    } catch (e) {
      await worker.stop({ abort: true });
      await app.close();
      throw e;
    }
    const how = cfg.slack.appToken
      ? "Socket Mode (no public URL needed)"
      : `HTTP on port ${slack.port}: point the app's Request URLs at https://<your host>${EVENTS_PATH}`;
    io.out(
      `Paul is serving Slack as ${slack.identity.botUserId} via ${how}, with a worker (concurrency ${o.concurrency ?? cfg.workerConcurrency}).\nCtrl-C stops it; running jobs go back to the queue, nothing is lost.\n`,
    );
    const stop = interrupted(io);
    const end = await Promise.race([stop.signal, worker.failed]);
    io.out("Stopping…\n");
    // Slack first: no new runs while the worker puts its jobs back.
    await slack.stop().catch((e: unknown) => log(`Slack did not stop cleanly: ${String(e)}`));
    await worker.stop({ abort: true });
    // Closes the pool and, when no other Paul uses it, stops the embedded Postgres.
    await app.close();
    stop.dispose();
    if (typeof end !== "string") {
      throw new PaulError("database_unavailable", end.message, {
        hint: "runs in flight are kept; they continue when `paul serve` or `paul worker` starts again",
      });
    }
  } catch (e) {
    // main prints errors through a redactor that does not know this config's secrets.
    if (isPaulError(e))
      throw new PaulError(e.code, cfg.redact(e.message), {
        ...(e.hint ? { hint: cfg.redact(e.hint) } : {}),
      });
    throw new PaulError("internal", cfg.redact(e instanceof Error ? e.message : String(e)));
  }
}
