import { join } from "node:path";
import type { Config } from "../config.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { migrate } from "./migrate.ts";
import { createPool, type Pool } from "./pool.ts";

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
  const pool = createPool(url, 20);
  await migrate(pool, url);
  return {
    pool,
    url,
    embedded: !cfg.databaseUrl,
    async close() {
      await pool.end().catch(() => {});
      // The embedded server keeps running only while a Paul process needs it.
      await stop().catch(() => {});
    },
  };
}
