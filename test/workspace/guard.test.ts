import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { git, gitOut } from "../../src/workspace/git.ts";
import { sanitizeRepoConfig } from "../../src/workspace/guard.ts";
import { pushRef } from "../../src/workspace/push.ts";
import { ensureMirror, resolveRepoSpec } from "../../src/workspace/repo.ts";
import { commitAll, createWorktree } from "../../src/workspace/worktree.ts";
import { makeRemote, removeFixtures, tempDir, writeFiles } from "../support/git-fixtures.ts";

afterAll(removeFixtures);

async function setup() {
  const fx = await makeRemote({ "a.txt": "a\n" });
  const work = await tempDir();
  const mirror = await ensureMirror(
    resolveRepoSpec(fx.bare, { githubWebUrl: "x", cwd: "/" }),
    work,
  );
  const dir = join(work, "wt");
  await createWorktree(mirror, dir, "paul/r1", fx.initial);
  return { fx, work, mirror, dir };
}

describe("config planted by an agent", () => {
  it("a filter driver never runs in Paul's commit", async () => {
    const { work, dir } = await setup();
    const marker = join(work, "pwned");
    // What a coder could run inside its worktree: the config is the mirror's.
    await git(["config", "filter.evil.clean", `touch ${marker}; cat`], dir);
    await writeFiles(dir, { ".gitattributes": "* filter=evil\n", "b.txt": "b\n" });
    expect(await commitAll(dir, "b")).toMatch(/^[0-9a-f]{40}$/);
    expect(existsSync(marker)).toBe(false);
  });

  it("an insteadOf can't redirect Paul's push", async () => {
    const { fx, work, dir } = await setup();
    const decoy = join(work, "decoy.git");
    await git(["init", "--quiet", "--bare", decoy], work);
    await git(["config", `url.${decoy}.insteadOf`, fx.bare], dir);
    await writeFiles(dir, { "c.txt": "c\n" });
    const commit = await commitAll(dir, "c");
    await pushRef(dir, "HEAD", "refs/heads/paul/r1", { remoteUrl: fx.bare, baseBranch: "main" });
    expect(await gitOut(["rev-parse", "refs/heads/paul/r1"], fx.bare)).toBe(commit);
    const inDecoy = await git(["rev-parse", "--verify", "--quiet", "refs/heads/paul/r1"], decoy, {
      allowFail: true,
    });
    expect(inDecoy.ok).toBe(false);
  });

  it("keeps Paul's own keys and drops everything else", async () => {
    const { fx, mirror } = await setup();
    await git(["config", "include.path", "/tmp/anything"], mirror);
    await git(["config", "core.sshCommand", "evil"], mirror);
    await git(["config", "paul.spec", 'odd "spec"\\with\ttab'], mirror);
    await sanitizeRepoConfig(mirror);
    const list = await gitOut(["config", "--file", join(mirror, "config"), "--list"], mirror);
    expect(list).not.toMatch(/include\.path|sshcommand/i);
    expect(await gitOut(["config", "--get", "remote.origin.url"], mirror)).toBe(fx.bare);
    expect(await gitOut(["config", "--get", "paul.spec"], mirror)).toBe('odd "spec"\\with\ttab');
    expect(await gitOut(["config", "--get-all", "remote.origin.fetch"], mirror)).toContain(
      "^refs/heads/paul/*",
    );
    expect(await gitOut(["rev-parse", "--is-bare-repository"], mirror)).toBe("true");
  });
});
