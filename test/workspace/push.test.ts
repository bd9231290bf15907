import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPaulError, type PaulError } from "../../src/errors.ts";
import { git, gitOut } from "../../src/workspace/git.ts";
import { fetchRef, paulBranchName, pushRef, slugify } from "../../src/workspace/push.ts";
import { ensureMirror, resolveRepoSpec } from "../../src/workspace/repo.ts";
import { commitAll, createWorktree } from "../../src/workspace/worktree.ts";
import {
  makeRemote,
  type RemoteFixture,
  removeFixtures,
  tempDir,
  writeFiles,
} from "../support/git-fixtures.ts";

let fx: RemoteFixture;
let mirror: string;
let dir: string;
let commit: string;

beforeAll(async () => {
  fx = await makeRemote({ "a.txt": "a\n" }, { branches: { "paul/base": { "b.txt": "b\n" } } });
  const work = await tempDir();
  mirror = await ensureMirror(resolveRepoSpec(fx.bare, { githubWebUrl: "x", cwd: "/" }), work);
  dir = join(work, "wt");
  await createWorktree(mirror, dir, "paul/r1-feature", fx.initial);
  await writeFiles(dir, { "feature.txt": "f\n" });
  commit = (await commitAll(dir, "feature"))!;
});
afterAll(removeFixtures);

async function refusal(remoteRef: string, baseBranch = "main"): Promise<PaulError> {
  const e = await pushRef(dir, "HEAD", remoteRef, { remoteUrl: fx.bare, baseBranch }).catch(
    (x: unknown) => x,
  );
  if (!isPaulError(e)) throw new Error(`expected a refusal for ${remoteRef}, got ${String(e)}`);
  return e;
}

async function remoteHas(ref: string): Promise<string | null> {
  const r = await git(["rev-parse", "--verify", "--quiet", ref], fx.bare, { allowFail: true });
  return r.ok ? r.stdout.trim() : null;
}

describe("pushRef", () => {
  it("refuses refs outside Paul's namespaces", async () => {
    for (const ref of [
      "main",
      "refs/heads/main",
      "refs/heads/feature/x",
      "refs/tags/v1",
      "refs/heads/paulx",
      "HEAD",
    ]) {
      const e = await refusal(ref, "develop");
      expect(e.code, ref).toBe("push_refused");
      expect(e.hint).toMatch(/paul\//);
    }
    for (const ref of ["refs/heads/paul/../main", "refs/heads/paul/a:b", "refs/heads/paul/*"]) {
      expect((await refusal(ref)).message, ref).toMatch(/not a valid ref name/);
    }
    expect(await remoteHas("refs/tags/v1")).toBeNull();
    expect(await gitOut(["rev-parse", "main"], fx.bare)).toBe(fx.initial);
  });

  it("refuses the base branch in any spelling, even under paul/", async () => {
    for (const [ref, base] of [
      ["paul/base", "paul/base"],
      ["refs/heads/paul/base", "paul/base"],
      ["refs/heads/paul/base", "refs/heads/paul/base"],
      ["refs/heads/paul/BASE", "heads/paul/base"],
      ["paul/base", "origin/paul/base"],
    ] as const) {
      const e = await refusal(ref, base);
      expect(e.code, `${ref} vs ${base}`).toBe("push_refused");
      expect(e.message).toMatch(/base branch/);
    }
    const before = await gitOut(["rev-parse", "refs/heads/paul/base"], fx.bare);
    expect(before).not.toBe(commit);
  });

  it("pushes a paul branch and a private ref to the remote", async () => {
    const r = await pushRef(dir, "HEAD", "refs/heads/paul/r1-feature", {
      remoteUrl: fx.bare,
      baseBranch: "main",
    });
    expect(r).toEqual({ commit, remoteRef: "refs/heads/paul/r1-feature" });
    expect(await remoteHas("refs/heads/paul/r1-feature")).toBe(commit);
    await pushRef(dir, commit, "refs/paul/r1/feature", { remoteUrl: fx.bare, baseBranch: "main" });
    expect(await remoteHas("refs/paul/r1/feature")).toBe(commit);
    // A short branch name means a branch.
    await pushRef(dir, "HEAD", "paul/r1-short", { remoteUrl: fx.bare, baseBranch: "main" });
    expect(await remoteHas("refs/heads/paul/r1-short")).toBe(commit);
  });

  it("reports a rejected non-fast-forward push, and forces when asked", async () => {
    await pushRef(dir, "HEAD", "refs/heads/paul/r1-nff", {
      remoteUrl: fx.bare,
      baseBranch: "main",
    });
    const e = await pushRef(dir, fx.initial, "refs/heads/paul/r1-nff", {
      remoteUrl: fx.bare,
      baseBranch: "main",
    }).catch((x: unknown) => x);
    expect(isPaulError(e) && e.code).toBe("push_refused");
    expect(String((e as Error).message)).toMatch(/non-fast-forward|fetch first/);
    await pushRef(dir, fx.initial, "refs/heads/paul/r1-nff", {
      remoteUrl: fx.bare,
      baseBranch: "main",
      force: true,
    });
    expect(await remoteHas("refs/heads/paul/r1-nff")).toBe(fx.initial);
  });

  it("reports an unreachable remote as repo_unreachable", async () => {
    const e = await pushRef(dir, "HEAD", "refs/heads/paul/x", {
      remoteUrl: "file:///nonexistent/remote.git",
      baseBranch: "main",
    }).catch((x: unknown) => x);
    expect(isPaulError(e) && e.code).toBe("repo_unreachable");
  });
});

describe("fetchRef", () => {
  it("brings a ref pushed from another machine into the mirror", async () => {
    await pushRef(dir, "HEAD", "refs/paul/r2/feature", { remoteUrl: fx.bare, baseBranch: "main" });
    const other = await ensureMirror(
      resolveRepoSpec(fx.bare, { githubWebUrl: "x", cwd: "/" }),
      await tempDir(),
    );
    expect(await fetchRef(other, fx.bare, "refs/paul/r2/feature", "refs/paul/r2/pr")).toBe(commit);
    expect(await gitOut(["rev-parse", "refs/paul/r2/pr"], other)).toBe(commit);
    expect(await fetchRef(other, fx.bare, "refs/paul/nope", "refs/paul/nope")).toBeNull();
  });

  it("never writes outside Paul's refs", async () => {
    const e = await fetchRef(mirror, fx.bare, "refs/paul/r2/feature", "refs/heads/main").catch(
      (x: unknown) => x,
    );
    expect(isPaulError(e)).toBe(true);
    expect(await gitOut(["rev-parse", "refs/heads/main"], mirror)).toBe(fx.initial);
  });
});

describe("paulBranchName", () => {
  it("is paul/<runId>-<slug> with the slug at most 40 characters", () => {
    expect(paulBranchName("r42", "Add dark mode to the Settings page!")).toBe(
      "paul/r42-add-dark-mode-to-the-settings-page",
    );
    const long = paulBranchName(
      "r1",
      "Export every report as CSV, Excel and PDF with custom headers",
    );
    const slug = long.slice("paul/r1-".length);
    expect(slug.length).toBeLessThanOrEqual(40);
    expect(slug).toBe("export-every-report-as-csv-excel-and-pdf");
    expect(paulBranchName("r1", "Crème brûlée ✨")).toBe("paul/r1-creme-brulee");
    expect(paulBranchName("r1", "!!!")).toBe("paul/r1");
    expect(slugify("a".repeat(60))).toHaveLength(40);
  });

  it("always makes a valid branch name", async () => {
    for (const feature of ["..", "a..b", "x.lock", "-leading", "@{u}", "tab\there", "末尾"]) {
      const name = paulBranchName("run/1 ..x", feature);
      expect(
        (await git(["check-ref-format", "--branch", name], dir, { allowFail: true })).ok,
        name,
      ).toBe(true);
    }
  });
});
