import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isPaulError } from "../../src/errors.ts";
import { basicAuthValue, git, gitOut, redactUrl } from "../../src/workspace/git.ts";
import { commitFiles, removeFixtures, tempDir } from "../support/git-fixtures.ts";

afterAll(removeFixtures);

const TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

describe("git", () => {
  it("commits as Paul with no credentials in its environment", async () => {
    const dir = await tempDir();
    await git(["init", "--quiet"], dir);
    const before = process.env.GITHUB_TOKEN;
    process.env.GITHUB_TOKEN = TOKEN;
    try {
      // A hook that would print the environment must not run at all.
      await writeFile(join(dir, ".git", "hooks", "pre-commit"), "#!/bin/sh\nenv; exit 1\n", {
        mode: 0o755,
      });
      await commitFiles(dir, { "a.txt": "a\n" });
      const ident = await gitOut(["log", "-1", "--format=%an <%ae>|%cn <%ce>"], dir);
      expect(ident).toBe("Paul <paul@localhost>|Paul <paul@localhost>");
      // A shell alias sees exactly the environment git runs with.
      const env = await gitOut(["-c", "alias.env=!env", "env"], dir);
      expect(env).toContain("GIT_TERMINAL_PROMPT=0");
      expect(env).toContain("GIT_CONFIG_NOSYSTEM=1");
      expect(env).not.toContain("GITHUB_TOKEN");
      expect(env).not.toContain(TOKEN);
      expect(await gitOut(["symbolic-ref", "--short", "HEAD"], dir)).toBe("main");
    } finally {
      if (before === undefined) delete process.env.GITHUB_TOKEN;
      else process.env.GITHUB_TOKEN = before;
    }
  });

  it("passes a token as an http header and never returns it", async () => {
    const dir = await tempDir();
    await git(["init", "--quiet"], dir);
    // git echoes the -c value back: the one place the header would leak.
    const r = await git(["config", "--get", "http.extraHeader"], dir, { auth: { token: TOKEN } });
    expect(r.stdout).toContain("Authorization: Basic [REDACTED]");
    expect(r.output).not.toContain(basicAuthValue(TOKEN));
    expect(r.command).not.toContain(basicAuthValue(TOKEN));
    expect(r.command).not.toContain(TOKEN);
  });

  it("throws an internal error with git's reason, redacted, unless allowFail", async () => {
    const dir = await tempDir();
    const bad = ["ls-remote", `file://${dir}/missing-${TOKEN}.git`];
    const e = await git(bad, dir, { auth: { token: TOKEN } }).catch((x: unknown) => x);
    expect(isPaulError(e) && e.code).toBe("internal");
    expect(String((e as Error).message)).toMatch(/does not appear to be a git repository/);
    expect(String((e as Error).message)).not.toContain(TOKEN);
    const r = await git(bad, dir, { auth: { token: TOKEN }, allowFail: true });
    expect(r.ok).toBe(false);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain("[REDACTED]");
  });

  it("keeps stdout apart from stderr", async () => {
    const dir = await tempDir();
    await git(["init", "--quiet"], dir);
    await commitFiles(dir, { "a.txt": "a\n" });
    // checkout of a commit warns on stderr about the detached HEAD.
    const head = await gitOut(["rev-parse", "HEAD"], dir);
    const r = await git(["checkout", head], dir);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/detached HEAD/);
  });

  it("removes credentials from URLs in messages", () => {
    expect(redactUrl("https://user:pw@example.com/a.git")).toBe(
      "https://[REDACTED]@example.com/a.git",
    );
    expect(redactUrl("git@github.com:a/b.git")).toBe("git@github.com:a/b.git");
  });
});
