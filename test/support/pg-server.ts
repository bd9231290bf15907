import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { startEmbeddedPostgres } from "../../src/db/embedded.ts";
import { tempDir } from "./git-fixtures.ts";
import { freePort } from "./global-setup.ts";

/** A Postgres server of a test's own, to stop, kill and start again under a running Paul. */
export interface PgServer {
  url: string;
  dataDir: string;
  port: number;
  /** A clean stop (`pg_ctl stop -m fast`): open connections get 57P01. */
  stop(): Promise<void>;
  /** SIGKILL to the postmaster, as a crash or the OOM killer would. */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Down for `ms`, then up again. */
  blip(ms: number): Promise<void>;
}

export async function startPgServer(
  o: { dataDir?: string; port?: number } = {},
): Promise<PgServer> {
  const dataDir = o.dataDir ?? join(await tempDir("paul-pg-"), "postgres");
  const port = o.port ?? (await freePort());
  const opts = { dataDir, port, database: "paul" };
  let h = await startEmbeddedPostgres(opts);
  const server: PgServer = {
    url: h.url,
    dataDir,
    port,
    stop: () => h.stop(),
    async kill() {
      const pid = Number((await readFile(join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
      process.kill(pid, "SIGKILL");
      // Backends notice their postmaster is gone and exit; the port is free once it is.
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async start() {
      h = await startEmbeddedPostgres(opts);
    },
    async blip(ms: number) {
      await server.stop();
      await new Promise((r) => setTimeout(r, ms));
      await server.start();
    },
  };
  return server;
}

/** Whether the embedded server under a PAUL_HOME is running (its postmaster.pid names a live process). */
export async function embeddedRunning(home: string): Promise<boolean> {
  try {
    const pid = Number(
      (await readFile(join(home, "postgres", "postmaster.pid"), "utf8")).split("\n")[0],
    );
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
