import { mkdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isPaulError, type PaulError } from "../../src/errors.ts";
import { git } from "../../src/workspace/git.ts";
import { resolveRepoSpec } from "../../src/workspace/repo.ts";
import { makeRemote, removeFixtures, tempDir } from "../support/git-fixtures.ts";

afterAll(removeFixtures);

const GH = "https://github.com";

function caught(fn: () => unknown): PaulError {
  try {
    fn();
  } catch (e) {
    if (isPaulError(e)) return e;
    throw e;
  }
  throw new Error("expected a PaulError");
}

describe("resolveRepoSpec", () => {
  it("resolves absolute and relative local paths to the repository", async () => {
    const fx = await makeRemote({ "a.txt": "a\n" });
    const abs = resolveRepoSpec(fx.work, { githubWebUrl: GH, cwd: "/" });
    expect(abs.key).toBe(`path:${fx.work}`);
    expect(abs.url).toBe(fx.work);
    expect(abs.github).toBeUndefined();
    const rel = resolveRepoSpec(relative(join(fx.work, ".."), fx.work), {
      githubWebUrl: GH,
      cwd: join(fx.work, ".."),
    });
    expect(rel.key).toBe(abs.key);
    // A bare repository is a repository too.
    expect(resolveRepoSpec(fx.bare, { githubWebUrl: GH, cwd: "/" }).key).toBe(`path:${fx.bare}`);
  });

  it("resolves owner/name to GitHub, and a local path of that shape to the path", async () => {
    const ref = resolveRepoSpec("Acme/Widgets", { githubWebUrl: GH, cwd: "/" });
    expect(ref).toEqual({
      spec: "Acme/Widgets",
      url: "https://github.com/Acme/Widgets.git",
      key: "github:acme/widgets",
      github: { owner: "Acme", name: "Widgets" },
    });
    const root = await tempDir();
    await mkdir(join(root, "acme"));
    const fx = await makeRemote({ "a.txt": "a\n" });
    await git(["clone", "--quiet", fx.bare, join(root, "acme", "widgets")], root);
    const local = resolveRepoSpec("acme/widgets", { githubWebUrl: GH, cwd: root });
    expect(local.key).toBe(`path:${join(root, "acme", "widgets")}`);
    expect(local.github).toBeUndefined();
  });

  it("recognises URLs, and URLs under the GitHub web URL as GitHub", () => {
    const o = { githubWebUrl: GH, cwd: "/" };
    expect(resolveRepoSpec("https://github.com/a/b.git", o).github).toEqual({
      owner: "a",
      name: "b",
    });
    expect(resolveRepoSpec("https://github.com/a/b", o).key).toBe("github:a/b");
    const ssh = resolveRepoSpec("git@github.com:a/b.git", o);
    expect(ssh.key).toBe("github:a/b");
    expect(ssh.url).toBe("git@github.com:a/b.git");
    const other = resolveRepoSpec("https://gitlab.example.com/g/p.git", o);
    expect(other).toEqual({
      spec: "https://gitlab.example.com/g/p.git",
      url: "https://gitlab.example.com/g/p.git",
      key: "url:https://gitlab.example.com/g/p",
    });
    expect(resolveRepoSpec("ssh://git@host.example/x/y.git", o).key).toBe(
      "url:ssh://host.example/x/y",
    );
    expect(resolveRepoSpec("file:///srv/git/x.git", o).url).toBe("file:///srv/git/x.git");
    const fileGh = resolveRepoSpec("o/n", { githubWebUrl: "file:///srv/fakegh", cwd: "/" });
    expect(fileGh.url).toBe("file:///srv/fakegh/o/n.git");
    expect(
      resolveRepoSpec("file:///srv/fakegh/o/n.git", {
        githubWebUrl: "file:///srv/fakegh",
        cwd: "/",
      }).github,
    ).toEqual({ owner: "o", name: "n" });
  });

  it("rejects a missing path, a directory that is not a repository, and nonsense", async () => {
    const dir = await tempDir();
    const missing = caught(() => resolveRepoSpec("./nope", { githubWebUrl: GH, cwd: dir }));
    expect(missing.code).toBe("bad_input");
    expect(missing.message).toMatch(/does not exist/);
    expect(missing.hint).toBeTruthy();
    const notRepo = caught(() => resolveRepoSpec(dir, { githubWebUrl: GH, cwd: "/" }));
    expect(notRepo.code).toBe("bad_input");
    expect(notRepo.message).toMatch(/is not a git repository/);
    expect(notRepo.hint).toMatch(/\.git/);
    const word = caught(() => resolveRepoSpec("justaword", { githubWebUrl: GH, cwd: dir }));
    expect(word.code).toBe("bad_input");
    const empty = caught(() => resolveRepoSpec("  ", { githubWebUrl: GH, cwd: dir }));
    expect(empty.code).toBe("bad_input");
  });
});
