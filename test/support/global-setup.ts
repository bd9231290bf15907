import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/db/embedded.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createPool } from "../../src/db/pool.ts";

/**
 * Real Postgres for the whole run: DATABASE_URL when set, otherwise an embedded
 * server in a temporary directory. Migrations run once into a template
 * database; every test file clones it (see db.ts).
 */
declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  let adminUrl: string;
  let stop = async () => {};
  let dataDir: string | undefined;
  const external = process.env.DATABASE_URL;
  if (external) {
    adminUrl = external;
  } else {
    dataDir = await mkdtemp(join(tmpdir(), "paul-test-pg-"));
    const port = process.env.PAUL_PG_PORT ? Number(process.env.PAUL_PG_PORT) : await freePort();
    const h = await startEmbeddedPostgres({
      dataDir: join(dataDir, "data"),
      port,
      database: "postgres",
    });
    adminUrl = h.url;
    stop = h.stop;
  }
  const template = `paul_tpl_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${template}"`);
  await admin.end();
  const templateUrl = withDatabase(adminUrl, template);
  const pool = createPool(templateUrl, { max: 2 });
  await migrate(pool);
  await pool.end();
  project.provide("pgAdminUrl", adminUrl);
  project.provide("pgTemplate", template);
  return async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    const dbs = await c.query<{ datname: string }>(
      "select datname from pg_database where datname like $1",
      [`paul_t%_${process.pid}_%`],
    );
    for (const { datname } of dbs.rows) {
      await c.query(`drop database if exists "${datname}" with (force)`).catch(() => {});
    }
    await c.query(`drop database if exists "${template}" with (force)`).catch(() => {});
    await c.end();
    await stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** A port the OS says is free right now (not a random guess that may collide). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
