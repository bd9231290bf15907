import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { git, gitOut } from "../../src/workspace/git.ts";

/**
 * Real git repositories for tests: a working repository with history and a
 * bare clone of it that plays the remote. Everything lives in temporary
 * directories; call removeFixtures() in afterAll.
 */

const created: string[] = [];

export async function tempDir(prefix = "paul-test-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export async function removeFixtures(): Promise<void> {
  const dirs = created.splice(0);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}

/** Write files and commit them; returns the new commit. */
export async function commitFiles(
  dir: string,
  files: Record<string, string>,
  message = "change",
): Promise<string> {
  await writeFiles(dir, files);
  await git(["add", "-A"], dir);
  await git(["commit", "--quiet", "--allow-empty", "-m", message], dir);
  return gitOut(["rev-parse", "HEAD"], dir);
}

export interface RemoteFixture {
  /** The bare repository: use it as the remote URL or path. */
  bare: string;
  /** A working clone-like repository holding the same history. */
  work: string;
  /** The initial commit on main. */
  initial: string;
}

export interface RemoteOptions {
  /** Extra branches, each one commit on top of main with these files. */
  branches?: Record<string, Record<string, string>>;
  /** The bare repository's HEAD (default main). */
  defaultBranch?: string;
}

export async function makeRemote(
  files: Record<string, string>,
  opts: RemoteOptions = {},
): Promise<RemoteFixture> {
  const root = await tempDir("paul-remote-");
  const work = join(root, "work");
  const bare = join(root, "remote.git");
  await mkdir(work);
  await git(["init", "--quiet", "-b", "main"], work);
  const initial = await commitFiles(work, files, "initial");
  for (const [branch, branchFiles] of Object.entries(opts.branches ?? {})) {
    await git(["checkout", "--quiet", "-b", branch, "main"], work);
    await commitFiles(work, branchFiles, `on ${branch}`);
  }
  await git(["checkout", "--quiet", "main"], work);
  await git(["clone", "--quiet", "--bare", work, bare], root);
  for (const branch of Object.keys(opts.branches ?? {}))
    await git(["fetch", "--quiet", work, `${branch}:${branch}`], bare);
  if (opts.defaultBranch)
    await git(["symbolic-ref", "HEAD", `refs/heads/${opts.defaultBranch}`], bare);
  await git(["remote", "add", "origin", bare], work, { allowFail: true });
  return { bare, work, initial };
}

/** Push `work`'s current HEAD to the bare remote's branch. */
export async function pushToRemote(fx: RemoteFixture, branch = "main"): Promise<void> {
  await git(["push", "--quiet", "--force", fx.bare, `HEAD:refs/heads/${branch}`], fx.work);
}

export interface NodeFixtureOptions {
  /** Extra or replacing files. */
  files?: Record<string, string>;
  /** Scripts merged into package.json's scripts (undefined removes one). */
  scripts?: Record<string, string | undefined>;
  /** Write package-lock.json (default true). */
  lockfile?: boolean;
}

/**
 * A tiny Node project with real gates and no dependencies, so `npm ci` works
 * offline: `node --test` tests, a lint script that rejects `var `, a
 * typecheck that syntax-checks every module, and a build that copies src to
 * dist.
 */
export function nodeFixtureFiles(opts: NodeFixtureOptions = {}): Record<string, string> {
  const scripts: Record<string, string> = {
    typecheck: "node scripts/check.mjs",
    test: "node --test",
    lint: "node scripts/lint.mjs",
    build: "node scripts/build.mjs",
  };
  for (const [k, v] of Object.entries(opts.scripts ?? {})) {
    if (v === undefined) delete scripts[k];
    else scripts[k] = v;
  }
  const pkg = { name: "fixture", version: "1.0.0", private: true, type: "module", scripts };
  const files: Record<string, string> = {
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
    ".npmrc": "audit=false\nfund=false\nupdate-notifier=false\n",
    ".gitignore": "node_modules/\ndist/\n",
    "src/add.mjs": "export function add(a, b) {\n  return a + b;\n}\n",
    "test/add.test.mjs": [
      'import { test } from "node:test";',
      'import assert from "node:assert/strict";',
      'import { add } from "../src/add.mjs";',
      'test("adds", () => assert.equal(add(2, 3), 5));',
      "",
    ].join("\n"),
    "scripts/files.mjs": [
      'import { readdirSync } from "node:fs";',
      'import { join } from "node:path";',
      'export function sources(dir = "src") {',
      "  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>",
      '    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".mjs") ? [join(dir, e.name)] : [],',
      "  );",
      "}",
      "",
    ].join("\n"),
    "scripts/lint.mjs": [
      'import { readFileSync } from "node:fs";',
      'import { sources } from "./files.mjs";',
      "let bad = 0;",
      "for (const f of sources()) {",
      '  readFileSync(f, "utf8").split("\\n").forEach((line, i) => {',
      '    if (/\\bvar /.test(line)) { console.error(f + ":" + (i + 1) + ": use let or const, not var"); bad++; }',
      "  });",
      "}",
      "process.exit(bad ? 1 : 0);",
      "",
    ].join("\n"),
    "scripts/check.mjs": [
      'import { execFileSync } from "node:child_process";',
      'import { sources } from "./files.mjs";',
      'for (const f of sources()) execFileSync(process.execPath, ["--check", f], { stdio: "inherit" });',
      "",
    ].join("\n"),
    "scripts/build.mjs": [
      'import { cpSync } from "node:fs";',
      'cpSync("src", "dist", { recursive: true });',
      "",
    ].join("\n"),
  };
  if (opts.lockfile !== false) {
    const lock = {
      name: "fixture",
      version: "1.0.0",
      lockfileVersion: 3,
      requires: true,
      packages: { "": { name: "fixture", version: "1.0.0" } },
    };
    files["package-lock.json"] = `${JSON.stringify(lock, null, 2)}\n`;
  }
  return { ...files, ...opts.files };
}

export async function makeNodeFixture(opts: NodeFixtureOptions = {}): Promise<RemoteFixture> {
  return makeRemote(nodeFixtureFiles(opts));
}
