import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { PaulError } from "../errors.ts";

/**
 * A lock between processes of one machine: mkdir is atomic. The owner file
 * lets a waiter take over a lock whose process died (a crash, a kill -9);
 * a lock older than `staleMs` is taken over whoever holds it.
 */
export interface LockOptions {
  timeoutMs?: number;
  staleMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function isStale(lockDir: string, staleMs: number): Promise<boolean> {
  const st = await stat(lockDir).catch(() => null);
  if (!st) return false;
  if (Date.now() - st.mtimeMs > staleMs) return true;
  const owner = await readFile(join(lockDir, "owner"), "utf8").catch(() => "");
  const [host, pid] = owner.trim().split(" ");
  return host === hostname() && pid !== undefined && !alive(Number(pid));
}

export async function withDirLock<T>(
  lockDir: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 35 * 60_000;
  const staleMs = opts.staleMs ?? 40 * 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, "owner"), `${hostname()} ${process.pid}`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (await isStale(lockDir, staleMs)) {
        // Rename first so only one waiter takes the stale lock away.
        const gone = `${lockDir}.stale-${randomUUID()}`;
        if (
          await rename(lockDir, gone).then(
            () => true,
            () => false,
          )
        )
          await rm(gone, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new PaulError("internal", `Timed out waiting for the lock ${lockDir}`, {
          hint: "another Paul process is using this workspace; if none is running, delete the lock directory",
        });
      await sleep(50 + Math.random() * 150);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
