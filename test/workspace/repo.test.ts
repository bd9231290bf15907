import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isPaulError, type PaulError } from "../../src/errors.ts";
import { git, gitOut } from "../../src/workspace/git.ts";
import { ensureMirror, mirrorDir, resolveBase, resolveRepoSpec } from "../../src/workspace/repo.ts";
import { createWorktree } from "../../src/workspace/worktree.ts";
import {
  commitFiles,
  makeRemote,
  pushToRemote,
  removeFixtures,
  tempDir,
} from "../support/git-fixtures.ts";

afterAll(removeFixtures);

const GH = "https://github.com";

async function caught(p: Promise<unknown> | (() => unknown)): Promise<PaulError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (isPaulError(e)) return e;
    throw e;
  }
  throw new Error("expected a PaulError");
}

describe("ensureMirror", () => {
  it("clones once, then fetches new commits into the same mirror", async () => {
    const fx = await makeRemote({ "a.txt": "a\n" });
    const work = await tempDir();
    const ref = resolveRepoSpec(fx.bare, { githubWebUrl: GH, cwd: "/" });
    const mirror = await ensureMirror(ref, work);
    expect(mirror).toBe(mirrorDir(work, ref));
    expect(await gitOut(["rev-parse", "--is-bare-repository"], mirror)).toBe("true");
    expect((await resolveBase(mirror)).commit).toBe(fx.initial);
    const next = await commitFiles(fx.work, { "b.txt": "b\n" });
    await pushToRemote(fx);
    await git(["update-ref", "refs/paul/r1/feature", next], fx.bare);
    expect(await ensureMirror(ref, work)).toBe(mirror);
    expect(await resolveBase(mirror, "main")).toEqual({ branch: "main", commit: next });
    expect(await gitOut(["rev-parse", "refs/paul/r1/feature"], mirror)).toBe(next);
    expect(await readdir(join(work, "mirrors"))).toHaveLength(1);
  });

  it("never moves or prunes worktree branches, or Paul's refs the remote lacks", async () => {
    const fx = await makeRemote({ "a.txt": "a\n" });
    const work = await tempDir();
    const ref = resolveRepoSpec(fx.bare, { githubWebUrl: GH, cwd: "/" });
    const mirror = await ensureMirror(ref, work);
    await createWorktree(mirror, join(work, "wt"), "paul/r1-x", fx.initial);
    const mine = await commitFiles(join(work, "wt"), { "mine.txt": "x\n" });
    await git(["update-ref", "refs/paul/local-only", mine], mirror);
    // The remote has a different paul/r1-x: the local one must win.
    await git(["branch", "paul/r1-x", fx.initial], fx.bare);
    await ensureMirror(ref, work);
    expect(await gitOut(["rev-parse", "refs/heads/paul/r1-x"], mirror)).toBe(mine);
    expect(await gitOut(["rev-parse", "refs/paul/local-only"], mirror)).toBe(mine);
  });

  it("lets concurrent callers in one process share one clone", async () => {
    const fx = await makeRemote({ "a.txt": "a\n" });
    const work = await tempDir();
    const ref = resolveRepoSpec(fx.bare, { githubWebUrl: GH, cwd: "/" });
    const dirs = await Promise.all([1, 2, 3, 4].map(() => ensureMirror(ref, work)));
    expect(new Set(dirs).size).toBe(1);
    expect((await readdir(join(work, "mirrors"))).sort()).toEqual([dirs[0]!.split("/").pop()]);
    expect((await resolveBase(dirs[0]!)).commit).toBe(fx.initial);
  });

  it("is safe when several processes mirror the same repository at once", async () => {
    const fx = await makeRemote({ "a.txt": "a\n" });
    const work = await tempDir();
    const mod = new URL("../../src/workspace/repo.ts", import.meta.url).pathname;
    const host = new URL("../../src/workspace/host.ts", import.meta.url).pathname;
    // Each child is an entry point of its own: it sets the host environment first.
    const script = `(await import(${JSON.stringify(host)})).setHostEnv(process.env);
      const m = await import(process.argv[1]);
      const ref = m.resolveRepoSpec(process.argv[2], { githubWebUrl: "https://github.com", cwd: "/" });
      console.log(await m.ensureMirror(ref, process.argv[3]));`;
    const runOne = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = spawn(process.execPath, [
          "--input-type=module",
          "-e",
          script,
          mod,
          fx.bare,
          work,
        ]);
        let out = "";
        p.stdout.on("data", (d) => {
          out += d;
        });
        p.stderr.on("data", (d) => {
          out += d;
        });
        p.on("close", (code) => resolve({ code, out }));
      });
    const results = await Promise.all([runOne(), runOne(), runOne()]);
    for (const r of results) expect(r.code, r.out).toBe(0);
    expect(new Set(results.map((r) => r.out.trim())).size).toBe(1);
    // No temporary clone or lock is left behind.
    expect(await readdir(join(work, "mirrors"))).toHaveLength(1);
    expect((await resolveBase(results[0]!.out.trim())).commit).toBe(fx.initial);
  });

  it("reports a repository it cannot clone as repo_unreachable with git's reason", async () => {
    const work = await tempDir();
    const ref = resolveRepoSpec("file:///nonexistent/paul-test.git", {
      githubWebUrl: GH,
      cwd: "/",
    });
    const e = await caught(ensureMirror(ref, work));
    expect(e.code).toBe("repo_unreachable");
    expect(e.message).toMatch(/^Could not clone file:\/\/\/nonexistent\/paul-test\.git: /);
    expect(e.message).toMatch(/does not appear to be a git repository/);
    expect(e.hint).toMatch(/GITHUB_TOKEN/);
    expect(await readdir(join(work, "mirrors"))).toEqual([]);
  });

  it("reports an unreachable GitHub repository with a GitHub hint", async () => {
    const work = await tempDir();
    const fakeGh = await tempDir();
    const ref = resolveRepoSpec("acme/missing", { githubWebUrl: `file://${fakeGh}`, cwd: fakeGh });
    const e = await caught(ensureMirror(ref, work));
    expect(e.code).toBe("repo_unreachable");
    expect(e.message).toContain("acme/missing");
    expect(e.hint).toMatch(/private repository set GITHUB_TOKEN/);
  });
});

describe("resolveBase", () => {
  it("uses the remote's default branch, or the named one", async () => {
    const fx = await makeRemote(
      { "a.txt": "a\n" },
      { branches: { develop: { "d.txt": "d\n" } }, defaultBranch: "develop" },
    );
    const ref = resolveRepoSpec(fx.bare, { githubWebUrl: GH, cwd: "/" });
    const work = await tempDir();
    const mirror = await ensureMirror(ref, work);
    const develop = await gitOut(["rev-parse", "develop"], fx.bare);
    expect(await resolveBase(mirror)).toEqual({ branch: "develop", commit: develop });
    expect(await resolveBase(mirror, "main")).toEqual({ branch: "main", commit: fx.initial });
    expect(await resolveBase(mirror, "refs/heads/main")).toEqual({
      branch: "main",
      commit: fx.initial,
    });
    // The remote's default branch changes; the next refresh follows it.
    await git(["symbolic-ref", "HEAD", "refs/heads/main"], fx.bare);
    await ensureMirror(ref, work);
    expect(await resolveBase(mirror)).toEqual({ branch: "main", commit: fx.initial });
  });

  it("names the missing branch and lists up to 10 existing ones", async () => {
    const branches: Record<string, Record<string, string>> = {};
    for (let i = 1; i <= 12; i++) branches[`feature-${i}`] = { [`f${i}.txt`]: `${i}\n` };
    const fx = await makeRemote({ "a.txt": "a\n" }, { branches });
    const mirror = await ensureMirror(
      resolveRepoSpec(fx.bare, { githubWebUrl: GH, cwd: "/" }),
      await tempDir(),
    );
    const e = await caught(resolveBase(mirror, "nope"));
    expect(e.code).toBe("base_branch_missing");
    expect(e.message).toBe(`Branch 'nope' does not exist in ${fx.bare}`);
    const listed = /existing branches: (.*?)( and (\d+) more)?\.$/.exec(e.hint ?? "");
    expect(listed?.[1]?.split(", ")).toHaveLength(10);
    expect(listed?.[3]).toBe("3");
    expect(e.hint).toMatch(/feature-\d+/);
  });
});
