import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, rmdir, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { errnoCode, PaulError } from "../errors.ts";

/**
 * A lock between processes (and between jobs of one process): mkdir is atomic
 * on every file system Paul runs on. The holder writes an owner file (host,
 * pid, token) and touches the directory while it holds it, so a waiter can
 * take over a lock whose process died (a crash, a kill -9) at once, and one
 * whose holder went silent (another machine, a hung process) after `staleMs`.
 */
export interface LockOptions {
  timeoutMs?: number;
  staleMs?: number;
}

const DEFAULT_TIMEOUT_MS = 35 * 60_000;
const DEFAULT_STALE_MS = 2 * 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a process of this id exists (EPERM: it does, it just isn't ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === "EPERM";
  }
}

/**
 * "" when there is no owner file to read: a lock being made or removed. Nothing
 * is decided on "" alone: it matches no token, and a lock is broken only when
 * old or owned by a dead process of this host.
 */
async function owner(lockDir: string): Promise<string> {
  return readFile(join(lockDir, "owner"), "utf8").catch(() => "");
}

async function isStale(lockDir: string, staleMs: number, seen: string): Promise<boolean> {
  // A lock stat can't see is not stale: gone, the next mkdir takes it; out of
  // reach, the wait ends in the timeout error.
  const st = await stat(lockDir).catch(() => null);
  if (!st) return false;
  if (Date.now() - st.mtimeMs > staleMs) return true;
  const [host, pid] = seen.trim().split(" ");
  return host === hostname() && pid !== undefined && !processAlive(Number(pid));
}

/**
 * Two waiters that both find a lock stale must not both remove it: the second
 * would remove the lock the first has just taken. Breaking takes its own
 * mkdir lock, and the owner is checked again inside it.
 */
async function breakStale(lockDir: string, staleMs: number, seen: string): Promise<void> {
  const breaker = `${lockDir}.breaking`;
  try {
    await mkdir(breaker);
  } catch (e) {
    if (errnoCode(e) !== "EEXIST") throw e;
    // A breaker that crashed mid-break: breaking takes milliseconds. Another
    // waiter may have removed it first; either way the caller just tries again.
    const st = await stat(breaker).catch(() => null);
    if (st && Date.now() - st.mtimeMs > 10_000) await rmdir(breaker).catch(() => {});
    return;
  }
  try {
    if ((await owner(lockDir)) === seen && (await isStale(lockDir, staleMs, seen))) {
      const gone = `${lockDir}.stale-${randomUUID()}`;
      // A rename that fails (another waiter moved it first) breaks nothing;
      // acquire looks at the lock again.
      if (
        await rename(lockDir, gone).then(
          () => true,
          () => false,
        )
      )
        await rm(gone, { recursive: true, force: true });
    }
  } finally {
    // A breaker we fail to remove is taken for crashed after 10 s and removed
    // by the next waiter (above): a delay, nothing lost.
    await rmdir(breaker).catch(() => {});
  }
}

async function acquire(lockDir: string, token: string, opts: LockOptions): Promise<void> {
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  for (;;) {
    try {
      await mkdir(lockDir);
      // Written whole, then renamed: a waiter never reads half a pid.
      const tmp = join(lockDir, `owner.${token}`);
      await writeFile(tmp, `${hostname()} ${process.pid} ${token}`);
      await rename(tmp, join(lockDir, "owner"));
      return;
    } catch (e) {
      if (errnoCode(e) !== "EEXIST") throw e;
    }
    const seen = await owner(lockDir);
    if (await isStale(lockDir, staleMs, seen)) {
      await breakStale(lockDir, staleMs, seen);
      continue;
    }
    if (Date.now() > deadline)
      throw new PaulError("internal", `Timed out waiting for the lock ${lockDir}`, {
        hint: "another Paul process is using this workspace; if none is running, delete the lock directory",
      });
    await sleep(50 + Math.random() * 150);
  }
}

export async function withDirLock<T>(
  lockDir: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const token = randomUUID();
  await acquire(lockDir, token, opts);
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  // The heartbeat keeps a long clone or fetch from looking abandoned.
  const beat = setInterval(
    () => {
      const now = new Date();
      // A missed beat only makes the lock look older; one taken over from us is
      // not ours to touch, and the release below checks the owner.
      void utimes(lockDir, now, now).catch(() => {});
    },
    Math.max(20, staleMs / 4),
  );
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    // A lock taken over from us (we were silent too long) is someone else's now.
    if ((await owner(lockDir)).endsWith(` ${token}`))
      await rm(lockDir, { recursive: true, force: true });
  }
}

const held = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * Everything that changes a mirror (clone, fetch, worktree add/remove/prune,
 * deleting its branches) runs under this lock, across processes: git itself
 * does not serialise them, and a fetch that meets a worktree being added
 * fails with "bad object worktrees/…/HEAD". Reentrant within one call chain,
 * so a locked operation may call another.
 */
export async function withMirrorLock<T>(mirror: string, fn: () => Promise<T>): Promise<T> {
  const lockDir = `${mirror}.lock`;
  const mine = held.getStore() ?? new Set<string>();
  if (mine.has(lockDir)) return fn();
  return withDirLock(lockDir, () => held.run(new Set([...mine, lockDir]), fn));
}
