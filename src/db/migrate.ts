import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { runMigrations } from "graphile-worker";
import type pg from "pg";
import { withTransaction } from "./pool.ts";

const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));

/**
 * Applies numbered SQL files from migrations/ once each, recording them in
 * paul_migrations, then installs graphile-worker's own schema. An advisory lock
 * keeps two processes from migrating at once.
 */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const applied: string[] = [];
  await withTransaction(pool, async (c) => {
    await c.query("select pg_advisory_xact_lock(727384)");
    await c.query(
      "create table if not exists paul_migrations (name text primary key, applied_at timestamptz not null default now())",
    );
    const done = new Set(
      (await c.query<{ name: string }>("select name from paul_migrations")).rows.map((r) => r.name),
    );
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
    for (const f of files) {
      if (done.has(f)) continue;
      await c.query(await readFile(MIGRATIONS_DIR + f, "utf8"));
      await c.query("insert into paul_migrations (name) values ($1)", [f]);
      applied.push(f);
    }
  });
  // On Paul's own pool, whose clients all handle errors: a pool of its own
  // left clients that crashed the process with 57P01 when the server stopped.
  await runMigrations({ pgPool: pool, logger: quietLogger });
  return applied;
}

import { Logger } from "graphile-worker";
/**
 * graphile-worker's migration says only what it installs; anything wrong with
 * it is thrown and told by Paul's start-up as a coded error, so nothing of
 * use is dropped here. The runner's log goes to Paul's (src/queue/worker.ts).
 */
export const quietLogger = new Logger(() => () => {});
