import { join } from "node:path";
import type { Config } from "../config.ts";
import { errnoCode, PaulError } from "../errors.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { migrate } from "./migrate.ts";
import { createPool, describeUrl, type OutageEvent, type Pool } from "./pool.ts";

let handles = 0;

export interface Database {
  pool: Pool;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** The one line a person sees per outage, and the one when it is over. */
export function outageLine(e: OutageEvent): string {
  if (e.state === "down")
    return `Database unreachable, retrying for up to ${Math.round(e.waitMs / 1000)} s… (${e.error})`;
  if (e.state === "up") return `Database is back after ${(e.downMs / 1000).toFixed(1)} s.`;
  return `Database still unreachable after ${Math.round(e.downMs / 1000)} s; stopping.`;
}

/** DATABASE_URL, or the embedded Postgres under PAUL_HOME; migrated before use. */
export async function openDatabase(
  cfg: Config,
  opts: { log?: (s: string) => void } = {},
): Promise<Database> {
  let url = cfg.databaseUrl;
  let stop = async () => {};
  let revive: (() => Promise<void>) | undefined;
  if (!url) {
    opts.log?.(
      `Using the embedded Postgres in ${join(cfg.home, "postgres")} (set DATABASE_URL to use your own).`,
    );
    const embeddedOpts = {
      dataDir: join(cfg.home, "postgres"),
      port: cfg.pgPort,
      database: "paul",
    };
    const h = await startEmbeddedPostgres(embeddedOpts);
    url = h.url;
    stop = h.stop;
    // Nobody else restarts the embedded server: a Paul process that finds it
    // gone (killed, crashed) starts it again, sharing it as before.
    revive = async () => {
      await startEmbeddedPostgres(embeddedOpts);
    };
  }
  const name = `paul-${process.pid}-${handles++}`;
  const pool = createPool(url, {
    max: 20,
    applicationName: name,
    waitMs: cfg.dbWaitSeconds * 1000,
    onOutage: (e) => opts.log?.(outageLine(e)),
    ...(revive ? { revive } : {}),
  });
  try {
    await migrate(pool);
  } catch (e) {
    // The migration's error is the one told; failing to tidy up after it adds nothing.
    await pool.end().catch(() => {});
    if (!cfg.databaseUrl) await stop().catch(() => {});
    throw connectError(e, url, !cfg.databaseUrl);
  }
  return {
    pool,
    url,
    embedded: !cfg.databaseUrl,
    async close() {
      // The embedded server keeps running while any other Paul process uses it;
      // the last one to leave stops it.
      const count = () =>
        pool
          .query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
              where backend_type = 'client backend' and application_name like 'paul-%' and application_name <> $1`,
            [name],
          )
          .then((r) => r.rows[0]?.n ?? 0)
          // A count that fails means the server is not answering (stopped, or
          // going): there is no other Paul's work on it to keep it running for.
          .catch(() => 0);
      // A process that has just closed leaves its backends for a moment: only
      // connections that stay count as another Paul still at work.
      let others = await count();
      for (let i = 0; others > 0 && i < 5; i++) {
        await new Promise((r) => setTimeout(r, 60));
        others = await count();
      }
      // Closing is the last thing a process does with the database: a pool
      // that won't end, or a server already stopped, leaves nothing to save.
      await pool.end().catch(() => {});
      if (others === 0) await stop().catch(() => {});
    },
  };
}

/** What went wrong opening the database, as a coded error with what to do; never a stack. */
export function connectError(e: unknown, url: string, embedded: boolean): PaulError {
  if (e instanceof PaulError) return e;
  const where = describeUrl(url);
  const code = errnoCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  const fix = embedded
    ? "remove the embedded data directory under PAUL_HOME/postgres if it is damaged, or set DATABASE_URL"
    : "fix DATABASE_URL";
  if (code === "3D000")
    return new PaulError("config_invalid", `The database ${where} does not exist.`, {
      hint: `create it (createdb ${new URL(url).pathname.slice(1)}) or ${fix}`,
      cause: e,
    });
  if (code === "28P01" || code === "28000")
    return new PaulError("config_invalid", `Postgres at ${where} refused the login: ${msg}`, {
      hint: `check the user and password in DATABASE_URL`,
      cause: e,
    });
  if (code === "ENOTFOUND" || code === "EAI_AGAIN")
    return new PaulError(
      "config_invalid",
      `The database host in DATABASE_URL (${where}) is unknown.`,
      {
        hint: "check the host name in DATABASE_URL",
        cause: e,
      },
    );
  if (code === "42501")
    return new PaulError(
      "config_invalid",
      `Postgres at ${where} denied Paul's migrations: ${msg}`,
      {
        hint: "give the DATABASE_URL user the right to create tables and schemas in that database",
        cause: e,
      },
    );
  return new PaulError("database_unavailable", `Could not use the database ${where}: ${msg}`, {
    hint: `check that Postgres is running, then ${fix}`,
    cause: e,
  });
}
