import { existsSync } from "node:fs";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isPaulError } from "../../src/errors.ts";
import { withDirLock } from "../../src/workspace/lock.ts";
import { removeFixtures, tempDir } from "../support/git-fixtures.ts";

afterAll(removeFixtures);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("withDirLock", () => {
  it("lets one holder in at a time and releases the lock", async () => {
    const lock = join(await tempDir(), "x.lock");
    let inside = 0;
    let most = 0;
    await Promise.all(
      [1, 2, 3, 4].map(() =>
        withDirLock(lock, async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(30);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over a lock whose owner process died", async () => {
    const lock = join(await tempDir(), "dead.lock");
    await mkdir(lock);
    // Pid 2^22+1 is above Linux's pid_max default: no such process.
    await writeFile(join(lock, "owner"), `${hostname()} 4194305`);
    expect(await withDirLock(lock, async () => "got it", { timeoutMs: 2000 })).toBe("got it");
  });

  it("takes over a lock older than staleMs, and waits for a live one until the timeout", async () => {
    const dir = await tempDir();
    const old = join(dir, "old.lock");
    await mkdir(old);
    await writeFile(join(old, "owner"), `${hostname()} ${process.pid}`);
    await utimes(old, new Date(0), new Date(0));
    expect(await withDirLock(old, async () => 1, { staleMs: 60_000 })).toBe(1);
    const live = join(dir, "live.lock");
    await mkdir(live);
    await writeFile(join(live, "owner"), `${hostname()} ${process.pid}`);
    const e = await withDirLock(live, async () => 1, { timeoutMs: 300 }).catch((x: unknown) => x);
    expect(isPaulError(e) && e.message).toMatch(/Timed out waiting for the lock/);
    expect(existsSync(live)).toBe(true);
  });
});
