import { invariant, PaulError } from "../errors.ts";
import type { Deps } from "../pipeline/deps.ts";
import { runService } from "../pipeline/service.ts";
import { createBoltApp } from "./app.ts";
import { createApprovers } from "./approvers.ts";
import type { SlackCtx } from "./ctx.ts";
import { type Notifier, startNotifier } from "./notifier.ts";
import { createSlackWeb, type Identity, type WebClient, whoAmI } from "./web.ts";

export interface SlackServiceOptions {
  deps: Deps;
  /** The database URL, for the notifier's LISTEN connection. */
  dbUrl: string;
  log: (s: string) => void;
  /** HTTP receiver port (default PAUL_HTTP_PORT; 0 picks a free one). Unused in Socket Mode. */
  port?: number;
  sweepMs?: number;
  updateIntervalMs?: number;
}

export interface SlackService {
  /** The HTTP receiver's port, or undefined in Socket Mode. */
  port: number | undefined;
  web: WebClient;
  identity: Identity;
  notifier: Notifier;
  stop(): Promise<void>;
}

/**
 * Slack's face of Paul: the Bolt app taking commands and clicks, and the
 * notifier drawing every Slack run's thread. The pipeline behind it is the
 * same one the terminal drives; workers run alongside (paul serve) or elsewhere.
 */
export async function startSlackService(o: SlackServiceOptions): Promise<SlackService> {
  const { cfg } = o.deps;
  const web = createSlackWeb(cfg, o.log);
  const identity = await whoAmI(web);
  const ctx: SlackCtx = {
    deps: o.deps,
    service: runService(o.deps),
    web,
    identity,
    approvers: createApprovers(cfg.slack.approvers, web, o.log),
    log: o.log,
  };
  const notifier = await startNotifier({
    pool: o.deps.pool,
    connectionString: o.dbUrl,
    web,
    redact: cfg.redact,
    log: o.log,
    ...(o.sweepMs ? { sweepMs: o.sweepMs } : {}),
    ...(o.updateIntervalMs ? { updateIntervalMs: o.updateIntervalMs } : {}),
  });
  const app = createBoltApp(ctx);
  let port: number | undefined;
  try {
    if (cfg.slack.appToken) await app.start();
    else {
      const address = (await app.start(o.port ?? cfg.slack.httpPort)).address();
      // A TCP listener's address is an object; only a pipe's is a string.
      invariant(typeof address === "object" && address !== null, "the HTTP receiver has no port");
      port = address.port;
    }
  } catch (e) {
    await notifier.stop();
    const inUse = e instanceof Error && "code" in e && e.code === "EADDRINUSE";
    if (!inUse) throw e;
    throw new PaulError(
      "config_invalid",
      `Port ${o.port ?? cfg.slack.httpPort} is already in use, so Slack's requests can't be received.`,
      {
        hint: "set PAUL_HTTP_PORT to a free port (and the app's Request URLs to match), or use Socket Mode with SLACK_APP_TOKEN",
        cause: e,
      },
    );
  }
  return {
    port,
    web,
    identity,
    notifier,
    async stop() {
      await app
        .stop()
        .catch((e: unknown) => o.log(`slack: the Bolt app did not stop cleanly: ${String(e)}`));
      await notifier.stop();
    },
  };
}
