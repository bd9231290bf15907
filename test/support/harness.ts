import { spawn } from "node:child_process";
import { cp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { git } from "../../src/workspace/git.ts";
import { tempDir } from "./git-fixtures.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = join(ROOT, "src/cli/main.ts");
const SAMPLE = join(ROOT, "src/demo/sample");

export const MODEL_KEY = "sk-ant-test-e2e-key-0123456789";
export const GITHUB_TOKEN = "ghp_e2eTestToken0123456789abcdefghijklmn";

/** The demo's sample repository as "acme/greetings" on a GitHub whose clone root is a directory. */
export async function sampleGitHubRemote(
  name = "greetings",
  extraFiles: Record<string, string> = {},
): Promise<{
  root: string;
  bare: string;
  spec: string;
  webUrl: string;
}> {
  const root = await tempDir("paul-gh-");
  const work = join(root, "work");
  await cp(SAMPLE, work, { recursive: true });
  for (const [path, content] of Object.entries(extraFiles))
    await writeFile(join(work, path), content);
  await git(["init", "-q", "-b", "main"], work);
  await git(["add", "-A"], work);
  await git(["commit", "-q", "-m", "initial"], work);
  await mkdir(join(root, "gh", "acme"), { recursive: true });
  const bare = join(root, "gh", "acme", `${name}.git`);
  await git(["clone", "-q", "--bare", work, bare], root);
  return { root, bare, spec: `acme/${name}`, webUrl: `file://${join(root, "gh")}` };
}

/** The environment an e2e test runs `paul` with: its database, the model stand-in, the sample GitHub. */
export async function cliEnv(o: {
  dbUrl: string;
  modelUrl: string;
  githubWebUrl: string;
  extra?: Record<string, string>;
}): Promise<Record<string, string>> {
  return {
    DATABASE_URL: o.dbUrl,
    PAUL_HOME: await tempDir("paul-home-"),
    ANTHROPIC_API_KEY: MODEL_KEY,
    ANTHROPIC_BASE_URL: o.modelUrl,
    GITHUB_URL: o.githubWebUrl,
    ...o.extra,
  };
}

export interface PaulResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PaulProcess {
  done: Promise<PaulResult>;
  kill(signal: NodeJS.Signals): void;
  stdout(): string;
  stderr(): string;
}

/** `paul <args>` as a real child process with only the given environment (plus PATH). */
export function startPaul(
  args: string[],
  env: Record<string, string>,
  input?: string,
): PaulProcess {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  if (input !== undefined) child.stdin.end(input);
  const done = new Promise<PaulResult>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { done, kill: (s) => child.kill(s), stdout: () => stdout, stderr: () => stderr };
}

export function runPaul(
  args: string[],
  env: Record<string, string>,
  input = "",
): Promise<PaulResult> {
  return startPaul(args, env, input).done;
}

/** Poll until `check` returns a value (not undefined/false), or fail with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
