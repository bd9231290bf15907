import { join } from "node:path";
import type { Config } from "../config.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { migrate } from "./migrate.ts";
import { createPool, type Pool } from "./pool.ts";

let handles = 0;

export interface Database {
  pool: Pool;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** DATABASE_URL, or the embedded Postgres under PAUL_HOME; migrated before use. */
export async function openDatabase(
  cfg: Config,
  opts: { log?: (s: string) => void } = {},
): Promise<Database> {
  let url = cfg.databaseUrl;
  let stop = async () => {};
  if (!url) {
    opts.log?.(
      `Using the embedded Postgres in ${join(cfg.home, "postgres")} (set DATABASE_URL to use your own).`,
    );
    const h = await startEmbeddedPostgres({
      dataDir: join(cfg.home, "postgres"),
      port: cfg.pgPort,
      database: "paul",
    });
    url = h.url;
    stop = h.stop;
  }
  const name = `paul-${process.pid}-${handles++}`;
  const pool = createPool(url, 20, name);
  await migrate(pool);
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
          .catch(() => 0);
      // A process that has just closed leaves its backends for a moment: only
      // connections that stay count as another Paul still at work.
      let others = await count();
      for (let i = 0; others > 0 && i < 5; i++) {
        await new Promise((r) => setTimeout(r, 60));
        others = await count();
      }
      await pool.end().catch(() => {});
      if (others === 0) await stop().catch(() => {});
    },
  };
}
