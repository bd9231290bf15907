import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPaulError } from "../../src/errors.ts";
import { git, gitOut } from "../../src/workspace/git.ts";
import { ensureMirror, resolveRepoSpec } from "../../src/workspace/repo.ts";
import {
  changedFiles,
  commitAll,
  createWorktree,
  mergeInto,
  removeWorktree,
  resetWorktree,
  touchedFiles,
} from "../../src/workspace/worktree.ts";
import {
  makeRemote,
  type RemoteFixture,
  removeFixtures,
  tempDir,
  writeFiles,
} from "../support/git-fixtures.ts";

let fx: RemoteFixture;
let mirror: string;
let work: string;

beforeAll(async () => {
  fx = await makeRemote({
    "README.md": "# fixture\n",
    "src/a.ts": "export const a = 1;\n",
    "src/old.ts": "export const old = 1;\n",
    ".gitignore": "dist/\n",
  });
  work = await tempDir();
  mirror = await ensureMirror(resolveRepoSpec(fx.bare, { githubWebUrl: "x", cwd: "/" }), work);
});
afterAll(removeFixtures);

/** Write files and commit them with commitAll, the function under test. */
async function change(dir: string, files: Record<string, string>, message: string) {
  await writeFiles(dir, files);
  return commitAll(dir, message);
}

let n = 0;
async function freshWorktree(): Promise<{ dir: string; branch: string }> {
  n++;
  const dir = join(work, "runs", `r${n}`, "wt");
  const branch = `paul/r${n}`;
  await createWorktree(mirror, dir, branch, fx.initial);
  return { dir, branch };
}

describe("createWorktree", () => {
  it("checks the branch out at the start commit", async () => {
    const { dir, branch } = await freshWorktree();
    expect(await gitOut(["symbolic-ref", "--short", "HEAD"], dir)).toBe(branch);
    expect(await gitOut(["rev-parse", "HEAD"], dir)).toBe(fx.initial);
    expect(await readFile(join(dir, "src/a.ts"), "utf8")).toBe("export const a = 1;\n");
  });

  it("is idempotent: an existing worktree is reused and reset", async () => {
    const { dir, branch } = await freshWorktree();
    await change(dir, { "x.txt": "x\n" }, "x");
    await writeFile(join(dir, "dirty.txt"), "dirty\n");
    await createWorktree(mirror, dir, branch, fx.initial);
    expect(await gitOut(["rev-parse", "HEAD"], dir)).toBe(fx.initial);
    expect(existsSync(join(dir, "x.txt"))).toBe(false);
    expect(existsSync(join(dir, "dirty.txt"))).toBe(false);
  });

  it("repairs a directory whose registration is gone or that was never finished", async () => {
    const { dir, branch } = await freshWorktree();
    // A crash between mkdir and checkout, or a mirror rebuilt from scratch.
    await rm(join(dir, ".git"));
    await writeFile(join(dir, "leftover.txt"), "x\n");
    await createWorktree(mirror, dir, branch, fx.initial);
    expect(await gitOut(["rev-parse", "HEAD"], dir)).toBe(fx.initial);
    expect(existsSync(join(dir, "leftover.txt"))).toBe(false);
    // The registration of a deleted worktree does not block re-creating it.
    await rm(dir, { recursive: true, force: true });
    await createWorktree(mirror, dir, branch, fx.initial);
    expect(await gitOut(["status", "--porcelain"], dir)).toBe("");
  });

  it("refuses branches a mirror refresh could prune", async () => {
    const e = await createWorktree(mirror, join(work, "bad"), "feature/x", fx.initial).catch(
      (x: unknown) => x,
    );
    expect(isPaulError(e) && e.message).toMatch(/must start with paul\//);
  });
});

describe("resetWorktree", () => {
  it("removes a previous attempt's tracked, untracked and ignored files", async () => {
    const { dir, branch } = await freshWorktree();
    await writeFiles(dir, { "src/a.ts": "broken(\n", "src/new.ts": "new\n" });
    await commitAll(dir, "attempt 1");
    await writeFiles(dir, {
      "README.md": "edited\n",
      "untracked/file.ts": "u\n",
      "dist/out.js": "ignored\n",
      "node_modules/dep/index.js": "kept\n",
    });
    await git(["add", "README.md"], dir);
    await resetWorktree(dir, branch, fx.initial);
    expect(await gitOut(["rev-parse", "HEAD"], dir)).toBe(fx.initial);
    expect(await gitOut(["symbolic-ref", "--short", "HEAD"], dir)).toBe(branch);
    expect(await readFile(join(dir, "src/a.ts"), "utf8")).toBe("export const a = 1;\n");
    expect(await readFile(join(dir, "README.md"), "utf8")).toBe("# fixture\n");
    expect(existsSync(join(dir, "src/new.ts"))).toBe(false);
    expect(existsSync(join(dir, "untracked"))).toBe(false);
    expect(existsSync(join(dir, "dist"))).toBe(false);
    // Installed dependencies survive so the next install is quick.
    expect(existsSync(join(dir, "node_modules/dep/index.js"))).toBe(true);
    expect(await gitOut(["status", "--porcelain", "--ignored"], dir)).toBe("!! node_modules/");
  });

  it("recovers from an interrupted merge and a stale index lock", async () => {
    const { dir, branch } = await freshWorktree();
    const gitDir = await gitOut(["rev-parse", "--absolute-git-dir"], dir);
    await writeFile(join(gitDir, "index.lock"), "");
    await writeFile(join(gitDir, "MERGE_HEAD"), `${fx.initial}\n`);
    await resetWorktree(dir, branch, fx.initial);
    expect(existsSync(join(gitDir, "MERGE_HEAD"))).toBe(false);
    expect(await change(dir, { "y.txt": "y\n" }, "y")).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe("commits and diffs", () => {
  it("commitAll returns null when nothing changed and never commits node_modules", async () => {
    const { dir } = await freshWorktree();
    expect(await commitAll(dir, "nothing")).toBeNull();
    await writeFiles(dir, { "node_modules/x/index.js": "x\n" });
    expect(await commitAll(dir, "deps only")).toBeNull();
    await writeFiles(dir, { "b.txt": "b\n" });
    const c = await commitAll(dir, "add b");
    expect(c).toBe(await gitOut(["rev-parse", "HEAD"], dir));
    expect(await gitOut(["log", "-1", "--format=%s|%an"], dir)).toBe("add b|Paul");
    expect(await gitOut(["show", "--name-only", "--format=", "HEAD"], dir)).toBe("b.txt");
  });

  it("touchedFiles lists committed, staged, unstaged and untracked changes", async () => {
    const { dir } = await freshWorktree();
    await writeFiles(dir, { "committed.ts": "c\n" });
    await commitAll(dir, "c");
    await writeFiles(dir, { "src/a.ts": "staged\n" });
    await git(["add", "src/a.ts"], dir);
    await writeFiles(dir, { "README.md": "unstaged\n", "new/untracked.ts": "u\n" });
    await rm(join(dir, "src/old.ts"));
    await writeFiles(dir, { "dist/ignored.js": "i\n" });
    expect(await touchedFiles(dir, fx.initial)).toEqual([
      "README.md",
      "committed.ts",
      "new/untracked.ts",
      "src/a.ts",
      "src/old.ts",
    ]);
  });

  it("changedFiles reports added, modified and deleted, a rename as both", async () => {
    const { dir } = await freshWorktree();
    await git(["mv", "src/old.ts", "src/renamed.ts"], dir);
    await writeFiles(dir, { "src/a.ts": "export const a = 2;\n", "added.ts": "x\n" });
    await rm(join(dir, "README.md"));
    const head = await commitAll(dir, "changes");
    expect(await changedFiles(dir, fx.initial, head!)).toEqual([
      { path: "added.ts", changeType: "added" },
      { path: "README.md", changeType: "deleted" },
      { path: "src/a.ts", changeType: "modified" },
      { path: "src/old.ts", changeType: "deleted" },
      { path: "src/renamed.ts", changeType: "added" },
    ]);
  });
});

describe("mergeInto", () => {
  it("merges a task's commit with a merge commit", async () => {
    const feature = await freshWorktree();
    const task = await freshWorktree();
    const t = await change(task.dir, { "t.txt": "t\n" }, "task");
    const r = await mergeInto(feature.dir, t!, "Merge task T1");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(await gitOut(["rev-parse", "HEAD"], feature.dir)).toBe(r.commit);
    expect(await gitOut(["log", "-1", "--format=%s|%P"], feature.dir)).toBe(
      `Merge task T1|${fx.initial} ${t}`,
    );
    expect(await readFile(join(feature.dir, "t.txt"), "utf8")).toBe("t\n");
  });

  it("reports conflicting files and leaves the worktree as it was", async () => {
    const feature = await freshWorktree();
    const other = await freshWorktree();
    const mine = await change(feature.dir, { "src/a.ts": "mine\n", "same.txt": "1\n" }, "mine");
    const theirs = await change(
      other.dir,
      { "src/a.ts": "theirs\n", "README.md": "theirs\n" },
      "theirs",
    );
    await writeFiles(feature.dir, { "README.md": "mine too\n" });
    await git(["commit", "-qam", "readme"], feature.dir);
    const head = await gitOut(["rev-parse", "HEAD"], feature.dir);
    expect(mine).not.toBeNull();
    const r = await mergeInto(feature.dir, theirs!, "Merge other");
    expect(r).toEqual({ ok: false, conflicts: ["README.md", "src/a.ts"] });
    expect(await gitOut(["rev-parse", "HEAD"], feature.dir)).toBe(head);
    expect(await gitOut(["status", "--porcelain"], feature.dir)).toBe("");
    expect(await readFile(join(feature.dir, "src/a.ts"), "utf8")).toBe("mine\n");
  });
});

describe("removeWorktree", () => {
  it("removes the directory and its registration, keeping the branch", async () => {
    const { dir, branch } = await freshWorktree();
    await mkdir(join(dir, "node_modules"), { recursive: true });
    await removeWorktree(mirror, dir);
    expect(existsSync(dir)).toBe(false);
    expect(await gitOut(["worktree", "list", "--porcelain"], mirror)).not.toContain(dir);
    expect(await gitOut(["rev-parse", `refs/heads/${branch}`], mirror)).toBe(fx.initial);
  });
});
