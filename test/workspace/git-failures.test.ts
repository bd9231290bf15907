import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isPaulError, type PaulError } from "../../src/errors.ts";
import { git, gitOut } from "../../src/workspace/git.ts";
import { withDirLock } from "../../src/workspace/lock.ts";
import { ensureMirror, resolveRepoSpec } from "../../src/workspace/repo.ts";
import { createWorktree, removeWorktreesUnder } from "../../src/workspace/worktree.ts";
import { misbehavingGit } from "../faults/git-support.ts";
import { makeRemote, removeFixtures, tempDir } from "../support/git-fixtures.ts";

afterAll(removeFixtures);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function caught(p: Promise<unknown>): Promise<PaulError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isPaulError(e)) throw new Error(`expected a PaulError, got ${String(e)}`);
  return e;
}

async function mirrored() {
  const fx = await makeRemote({ "a.txt": "a\n" });
  const work = await tempDir();
  const ref = resolveRepoSpec(fx.bare, { githubWebUrl: "https://github.com", cwd: "/" });
  const mirror = await ensureMirror(ref, work);
  return { fx, work, ref, mirror };
}

describe("the mirror lock", () => {
  it("a worktree is added only once the mirror's lock is free", async () => {
    const { fx, work, mirror } = await mirrored();
    const dir = join(work, "runs", "r-1", "base");
    let made: Promise<void> | undefined;
    // Held the way another process holds it: the lock directory next to the mirror.
    await withDirLock(`${mirror}.lock`, async () => {
      made = createWorktree(mirror, dir, "paul-base/r-1", fx.initial);
      await sleep(800);
      expect(existsSync(join(dir, ".git")), "worktree added while the lock was held").toBe(false);
    });
    await made;
    expect(await gitOut(["rev-parse", "HEAD"], dir)).toBe(fx.initial);
  });
});

describe("transient git failures", () => {
  it("waits out a ref lock another git holds for a moment", async () => {
    const { fx, work, mirror } = await mirrored();
    const lock = join(mirror, "refs", "heads", "paul-base", "r-2.lock");
    await mkdir(join(mirror, "refs", "heads", "paul-base"), { recursive: true });
    await writeFile(lock, "");
    // The planted lock does stop git.
    const direct = spawnSync("git", ["branch", "paul-base/r-2", fx.initial], {
      cwd: mirror,
      encoding: "utf8",
    });
    expect(direct.stderr).toMatch(/r-2\.lock': File exists/);
    const dir = join(work, "runs", "r-2", "base");
    const made = createWorktree(mirror, dir, "paul-base/r-2", fx.initial);
    await sleep(300);
    await rm(lock);
    await made;
    expect(await gitOut(["rev-parse", "HEAD"], dir)).toBe(fx.initial);
  });

  it("removes a git lock file left by a git that died long ago", async () => {
    const { fx, work, mirror } = await mirrored();
    const lock = join(mirror, "refs", "heads", "paul-base", "r-3.lock");
    await mkdir(join(mirror, "refs", "heads", "paul-base"), { recursive: true });
    await writeFile(lock, "");
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(lock, hourAgo, hourAgo);
    await createWorktree(mirror, join(work, "runs", "r-3", "base"), "paul-base/r-3", fx.initial);
    expect(existsSync(lock)).toBe(false);
  });

  it("a lock that stays held is told as such, naming the file, and retryable", async () => {
    const { fx, work, mirror } = await mirrored();
    const lock = join(mirror, "refs", "heads", "paul-base", "r-4.lock");
    await mkdir(join(mirror, "refs", "heads", "paul-base"), { recursive: true });
    await writeFile(lock, "");
    const e = await caught(
      createWorktree(mirror, join(work, "runs", "r-4", "base"), "paul-base/r-4", fx.initial),
    );
    expect(e.code).toBe("internal");
    expect(e.retryable).toBe(true);
    expect(e.message).toContain("lock file is held by another process");
    expect(e.message).toContain("refs/heads/paul-base/r-4.lock");
    expect(e.hint).toMatch(/delete the \.lock file/);
  });

  it("a fetch that meets a DNS blip once is tried again", async () => {
    const { ref, work, mirror } = await mirrored();
    const restore = await misbehavingGit(
      "fetch",
      "fatal: unable to access 'https://github.com/acme/x.git/': Could not resolve host: github.com",
      1,
    );
    try {
      expect(await ensureMirror(ref, work)).toBe(mirror);
    } finally {
      restore();
    }
  });

  it("a damaged read right after another process's worktree add is tried again", async () => {
    const { ref, work, mirror } = await mirrored();
    // What a worktree looks like to others while `git worktree add` is still writing it.
    const ghost = join(mirror, "worktrees", "ghost");
    await mkdir(ghost, { recursive: true });
    await writeFile(join(ghost, "HEAD"), `${"1".repeat(40)}\n`);
    await writeFile(join(ghost, "commondir"), "../..\n");
    await writeFile(join(ghost, "gitdir"), `${join(work, "ghost", ".git")}\n`);
    const direct = await git(["fetch", "--quiet", "origin"], mirror, { allowFail: true });
    expect(direct.stderr).toMatch(/bad object worktrees\/ghost\/HEAD/);
    const refreshed = ensureMirror(ref, work);
    await sleep(150);
    await rm(ghost, { recursive: true });
    expect(await refreshed).toBe(mirror);
  });
});

describe("unreachable or local", () => {
  it("a remote that does not exist is repo_unreachable, permanent, with git's reason", async () => {
    const work = await tempDir();
    const ref = resolveRepoSpec("file:///nonexistent/paul-x.git", {
      githubWebUrl: "https://github.com",
      cwd: "/",
    });
    const e = await caught(ensureMirror(ref, work));
    expect([e.code, e.retryable]).toEqual(["repo_unreachable", false]);
    expect(e.message).toMatch(/does not appear to be a git repository/);
  });

  it("a host that does not answer is repo_unreachable after retries, with a network hint", async () => {
    const work = await tempDir();
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const ref = resolveRepoSpec("http://127.0.0.1:1/acme/x.git", {
      githubWebUrl: "https://github.com",
      cwd: "/",
    });
    const e = await caught(ensureMirror(ref, work));
    expect([e.code, e.retryable]).toEqual(["repo_unreachable", false]);
    expect(e.message).toMatch(/the remote did not answer .*(Failed to connect|Couldn't connect)/);
    expect(e.hint).toMatch(/tried several times.*network/);
  });

  it("a full disk is told as a full disk, with where and what to free, and retryable", async () => {
    const { fx, work, mirror } = await mirrored();
    const restore = await misbehavingGit(
      "worktree",
      "fatal: could not create directory of '.git/worktrees/base': No space left on device",
    );
    try {
      const e = await caught(
        createWorktree(mirror, join(work, "runs", "r-5", "base"), "paul-base/r-5", fx.initial),
      );
      expect([e.code, e.retryable]).toEqual(["disk_full", true]);
      expect(e.message).toMatch(/the disk holding .* is full \(.*No space left on device/);
      expect(e.hint).toMatch(/Free some space there \(df -h /);
    } finally {
      restore();
    }
  });

  it("a mirror Paul may not write is a local, permanent problem, not an unreachable remote", async () => {
    const { ref, work } = await mirrored();
    const restore = await misbehavingGit(
      "fetch",
      "error: cannot open .git/FETCH_HEAD: Permission denied",
    );
    try {
      const e = await caught(ensureMirror(ref, work));
      expect([e.code, e.retryable]).toEqual(["workspace_denied", false]);
      expect(e.message).toMatch(/Paul may not write in .*Permission denied/);
      expect(e.hint).toMatch(/write access/);
    } finally {
      restore();
    }
  });

  it("a damaged mirror is set aside and cloned again by the next refresh", async () => {
    const { fx, ref, work, mirror } = await mirrored();
    const ghost = join(mirror, "worktrees", "ghost");
    await mkdir(ghost, { recursive: true });
    await writeFile(join(ghost, "HEAD"), `${"2".repeat(40)}\n`);
    await writeFile(join(ghost, "commondir"), "../..\n");
    await writeFile(join(ghost, "gitdir"), `${join(work, "ghost", ".git")}\n`);
    expect(await ensureMirror(ref, work)).toBe(mirror);
    expect(existsSync(ghost)).toBe(false);
    expect(await gitOut(["rev-parse", "refs/heads/main"], mirror)).toBe(fx.initial);
    expect((await readdir(join(work, "mirrors"))).length).toBe(1);
  });

  it("a worktree of a damaged mirror fails retryably with what Paul did; the retry works", async () => {
    const { fx, ref, work, mirror } = await mirrored();
    const tree = await gitOut(["rev-parse", `${fx.initial}^{tree}`], mirror);
    const obj = join(mirror, "objects", tree.slice(0, 2), tree.slice(2));
    await rm(obj, { force: true });
    await writeFile(obj, "");
    const dir = join(work, "runs", "r-6", "base");
    const e = await caught(createWorktree(mirror, dir, "paul-base/r-6", fx.initial));
    expect([e.code, e.retryable]).toEqual(["mirror_damaged", true]);
    expect(e.message).toMatch(/the mirror .* is damaged \(.*corrupt/);
    expect(e.hint).toMatch(/moved the damaged mirror out of the way/);
    expect(existsSync(mirror)).toBe(false);
    // The job's retry: the mirror is cloned again, the worktree made.
    await createWorktree(await ensureMirror(ref, work), dir, "paul-base/r-6", fx.initial);
    expect(await gitOut(["rev-parse", "HEAD"], dir)).toBe(fx.initial);
  });
});

describe("removeWorktreesUnder", () => {
  it("removes a run's worktrees and their branches, and nothing of other runs", async () => {
    const { fx, work, mirror } = await mirrored();
    const run = join(work, "runs", "r-7");
    await createWorktree(mirror, join(run, "base"), "paul-base/r-7", fx.initial);
    await createWorktree(mirror, join(run, "tasks", "T1"), "paul/r-7/tasks/T1", fx.initial);
    await createWorktree(mirror, join(work, "runs", "r-8", "base"), "paul-base/r-8", fx.initial);
    const removed = await removeWorktreesUnder(mirror, run);
    expect(removed).toHaveLength(2);
    expect(existsSync(join(run, "base")) || existsSync(join(run, "tasks", "T1"))).toBe(false);
    const list = await gitOut(["worktree", "list", "--porcelain"], mirror);
    expect(list).not.toContain("r-7");
    expect(list).toContain(join("r-8", "base"));
    const branches = await gitOut(["for-each-ref", "--format=%(refname)", "refs/heads"], mirror);
    expect(branches).not.toContain("r-7");
    expect(branches).toContain("refs/heads/paul-base/r-8");
  });
});
