import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { execCommand } from "../../src/workspace/exec.ts";
import { commandEnv, sandboxFor, userToolDirs, workspacePaths } from "../../src/workspace/paths.ts";
import { ensureMirror, resolveRepoSpec } from "../../src/workspace/repo.ts";
import { createWorktree } from "../../src/workspace/worktree.ts";
import { makeRemote, removeFixtures, tempDir } from "../support/git-fixtures.ts";

afterAll(removeFixtures);

describe("workspacePaths", () => {
  it("lays a run out under the work directory", () => {
    const p = workspacePaths("/w", "run-1");
    expect(p).toMatchObject({
      runDir: "/w/runs/run-1",
      baseDir: "/w/runs/run-1/base",
      implDir: "/w/runs/run-1/impl",
      homeDir: "/w/runs/run-1/home",
      cacheDir: "/w/cache",
    });
    expect(p.taskDir("T1")).toBe("/w/runs/run-1/tasks/T1");
  });

  it("keeps task keys inside the run and apart from each other", () => {
    const p = workspacePaths("/w", "../../etc");
    expect(p.runDir.startsWith("/w/runs/")).toBe(true);
    expect(p.runDir).not.toContain("..");
    const a = p.taskDir("a/b");
    const b = p.taskDir("a:b");
    expect(a).not.toBe(b);
    expect(a.startsWith(`${p.runDir}/tasks/`)).toBe(true);
    expect(a.slice(`${p.runDir}/tasks/`.length)).not.toContain("/");
  });
});

describe("commandEnv", () => {
  it("scrubs credentials and points HOME and package caches into the workspace", () => {
    const env = commandEnv({
      sandboxHome: "/w/runs/r/home",
      workDir: "/w",
      source: {
        PATH: "/usr/bin",
        HOME: "/home/me",
        GITHUB_TOKEN: "ghp_secretsecretsecret",
        ANTHROPIC_API_KEY: "sk-ant-x",
        DATABASE_URL: "postgres://u:p@h/db",
        MY_SERVICE_PASSWORD: "hunter22",
      },
    });
    expect(env.HOME).toBe("/w/runs/r/home");
    expect(env.PATH).toBe("/usr/bin");
    expect(env.npm_config_cache).toBe("/w/cache/npm");
    expect(Object.keys(env)).not.toContain("GITHUB_TOKEN");
    expect(Object.keys(env)).not.toContain("ANTHROPIC_API_KEY");
    expect(Object.keys(env)).not.toContain("DATABASE_URL");
    expect(Object.keys(env)).not.toContain("MY_SERVICE_PASSWORD");
    expect(JSON.stringify(env)).not.toContain("/home/me");
  });
});

describe("sandboxFor", () => {
  it("hides every home, makes the cache and sandbox HOME writable and the mirror read-only", async () => {
    const paulHome = await tempDir();
    const workDir = join(paulHome, "work");
    const sb = sandboxFor({
      home: paulHome,
      workDir,
      root: join(workDir, "runs/r/impl"),
      mirror: join(workDir, "mirrors/abc"),
      sandboxHome: join(workDir, "runs/r/home"),
    });
    expect(sb.root).toBe(join(workDir, "runs/r/impl"));
    expect(sb.hide).toEqual(expect.arrayContaining([homedir(), paulHome, "/root"]));
    expect(sb.expose).toEqual(
      expect.arrayContaining([join(workDir, "cache"), join(workDir, "runs/r/home")]),
    );
    // The git directory (config, hooks, refs) is never writable by a command.
    expect(sb.expose).not.toContain(join(workDir, "mirrors/abc"));
    expect(sb.readOnly).toContain(join(workDir, "mirrors/abc"));
    // Bind mounts need their sources.
    expect(existsSync(join(workDir, "cache"))).toBe(true);
    expect(existsSync(join(workDir, "runs/r/home"))).toBe(true);
  });

  it("really hides Paul's home while git and writes in the worktree work", async () => {
    const paulHome = await tempDir("paul-home-");
    const workDir = join(paulHome, "work");
    await writeFile(join(paulHome, "secret.txt"), "top secret\n");
    const fx = await makeRemote({ "a.txt": "a\n" });
    const mirror = await ensureMirror(
      resolveRepoSpec(fx.bare, { githubWebUrl: "x", cwd: "/" }),
      workDir,
    );
    const paths = workspacePaths(workDir, "r1");
    await createWorktree(mirror, paths.implDir, "paul/r1", fx.initial);
    const sandbox = sandboxFor({
      home: paulHome,
      workDir,
      root: paths.implDir,
      mirror,
      sandboxHome: paths.homeDir,
    });
    const env = commandEnv({ sandboxHome: paths.homeDir, workDir });
    const run = (command: string) =>
      execCommand(command, { cwd: paths.implDir, timeoutMs: 20_000, env, sandbox });
    const secret = await run(`cat ${join(paulHome, "secret.txt")}`);
    expect(secret.ok).toBe(false);
    expect(secret.output).not.toContain("top secret");
    // Under /root only the toolchain roots of PATH entries show (read-only), never the rest.
    const listed = (await run("ls -A /root")).output.trim().split("\n").filter(Boolean);
    const roots = userToolDirs().filter((d) => d.startsWith("/root/"));
    for (const name of listed) expect(roots).toContain(join("/root", name));
    const work = await run(
      'echo made > made.txt && echo "$HOME" > "$HOME/where" && git status --porcelain && git log --format=%H -1',
    );
    expect(work.ok, work.output).toBe(true);
    expect(work.output).toContain("?? made.txt");
    expect(work.output).toContain(fx.initial);
    expect(await readFile(join(paths.implDir, "made.txt"), "utf8")).toBe("made\n");
    expect(await readFile(join(paths.homeDir, "where"), "utf8")).toBe(`${paths.homeDir}\n`);
  });
});
