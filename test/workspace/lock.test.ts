import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, utimes, writeFile } from "node:fs/promises";
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

  it("lets one process in at a time, across processes", async () => {
    const dir = await tempDir();
    const lock = join(dir, "x.lock");
    const log = join(dir, "log");
    const mod = new URL("../../src/workspace/lock.ts", import.meta.url).pathname;
    // Each holder writes "in" and "out" around a pause; overlapping holders would interleave them.
    const script = `const { withDirLock } = await import(process.argv[1]);
      const { appendFile } = await import("node:fs/promises");
      for (let i = 0; i < 3; i++)
        await withDirLock(process.argv[2], async () => {
          await appendFile(process.argv[3], "in\\n");
          await new Promise((r) => setTimeout(r, 20));
          await appendFile(process.argv[3], "out\\n");
        });`;
    const one = () =>
      new Promise<number | null>((resolve) => {
        const p = spawn(process.execPath, ["--input-type=module", "-e", script, mod, lock, log], {
          stdio: "inherit",
        });
        p.on("close", resolve);
      });
    expect(await Promise.all([1, 2, 3, 4, 5, 6].map(one))).toEqual([0, 0, 0, 0, 0, 0]);
    const lines = (await readFile(log, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(36);
    expect(lines.join(" ")).toBe(Array(18).fill("in out").join(" "));
    expect(existsSync(lock)).toBe(false);
  });

  it("a dead owner's lock is taken over once, however many waiters find it stale", async () => {
    for (let round = 0; round < 5; round++) {
      const lock = join(await tempDir(), "dead.lock");
      await mkdir(lock);
      await writeFile(join(lock, "owner"), `${hostname()} 4194305`);
      let inside = 0;
      let most = 0;
      await Promise.all(
        Array.from({ length: 8 }, () =>
          withDirLock(lock, async () => {
            inside++;
            most = Math.max(most, inside);
            await sleep(40);
            inside--;
          }),
        ),
      );
      expect(most).toBe(1);
    }
  });
});
