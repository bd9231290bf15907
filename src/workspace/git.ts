import { randomUUID } from "node:crypto";
import { readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PaulError } from "../errors.ts";
import { REDACTED } from "../redact.ts";
import { type ExecResult, rawExec, scrubbedEnv, truncateMiddle } from "./exec.ts";
import { classifyGit, type GitFailure, localGitError, lockFileOf } from "./git-errors.ts";
import { hostEnv } from "./host.ts";

/**
 * Paul's own git. It runs with an environment that carries no credentials and
 * ignores the machine's git configuration, so a credential helper or an
 * `insteadOf` rewrite on the host can't change where Paul fetches or pushes.
 */

export interface GitAuth {
  token: string;
}

export interface GitOptions {
  timeoutMs?: number;
  auth?: GitAuth;
  allowFail?: boolean;
  /**
   * Which failures are worth trying again. Lock contention always is (git
   * fails at once when another git holds a lock); "mirror" adds a damaged
   * read (a worktree or ref another process is writing), "network" adds
   * network blips too.
   */
  retry?: "mirror" | "network";
}

export interface GitResult extends ExecResult {
  stdout: string;
  stderr: string;
}

export const GIT_TIMEOUT_MS = 5 * 60_000;
export const GIT_NETWORK_TIMEOUT_MS = 30 * 60_000;
// Large enough that file lists and ref lists are never cut in the middle.
const GIT_MAX_OUTPUT = 16 * 1024 * 1024;

export const PAUL_AUTHOR = { name: "Paul", email: "paul@localhost" };

export function gitEnv(): Record<string, string> {
  return scrubbedEnv(hostEnv(), {
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_AUTHOR_NAME: PAUL_AUTHOR.name,
    GIT_AUTHOR_EMAIL: PAUL_AUTHOR.email,
    GIT_COMMITTER_NAME: PAUL_AUTHOR.name,
    GIT_COMMITTER_EMAIL: PAUL_AUTHOR.email,
    GIT_SSH_COMMAND: "ssh -o BatchMode=yes",
    // Messages are parsed ("CONFLICT", "couldn't find remote ref"); keep them in English.
    LC_ALL: "C",
    LANGUAGE: "C",
  });
}

/**
 * Worktrees share the mirror's config and hooks with the agents' sandbox, so a
 * coder could plant a hook or an fsmonitor command there; Paul's git never runs them.
 */
const SAFETY_CONFIG = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.fsmonitor=false",
  "-c",
  "branch.autoSetupMerge=false",
  "-c",
  "init.defaultBranch=main",
  "-c",
  "commit.gpgSign=false",
  // Where the token goes is decided here, not by a repository's config.
  "-c",
  "credential.helper=",
  "-c",
  "http.proxy=",
  "-c",
  "http.sslVerify=true",
  "-c",
  "protocol.ext.allow=never",
  // Housekeeping runs inside the command, under the caller's mirror lock, not detached after it.
  "-c",
  "gc.autoDetach=false",
  "-c",
  "maintenance.autoDetach=false",
];

/** Waits before each retry, by kind of failure. */
const BACKOFF_MS: Partial<Record<GitFailure, number[]>> = {
  lock: [100, 250, 500, 1000, 2000],
  corrupt: [100, 300, 900],
  network: [1000, 3000],
};
/** Git holds a lock for milliseconds to seconds; one this old was left by a git that died. */
export const GIT_LOCK_STALE_MS = 5 * 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function retries(kind: GitFailure, retry: GitOptions["retry"]): number[] {
  if (kind === "lock") return BACKOFF_MS.lock ?? [];
  if (kind === "corrupt" && retry) return BACKOFF_MS.corrupt ?? [];
  if (kind === "network" && retry === "network") return BACKOFF_MS.network ?? [];
  return [];
}

/** Removes the lock file git complained about when no live git can still hold it. */
async function removeStaleLock(text: string, cwd: string): Promise<boolean> {
  const file = lockFileOf(text);
  if (!file) return false;
  const path = file.startsWith("/") ? file : join(cwd, file);
  // A lock file already gone is not ours to remove; git's retry then finds none.
  const st = await stat(path).catch(() => null);
  if (!st || Date.now() - st.mtimeMs < GIT_LOCK_STALE_MS) return false;
  await rm(path, { force: true });
  return true;
}

export function basicAuthValue(token: string): string {
  return Buffer.from(`x-access-token:${token}`).toString("base64");
}

export function authRedactor(auth: GitAuth | undefined): (s: string) => string {
  if (!auth?.token) return (s) => s;
  const secrets = [basicAuthValue(auth.token), auth.token];
  return (s) => {
    let out = s;
    for (const v of secrets) out = out.split(v).join(REDACTED);
    return out;
  };
}

/** Credentials embedded in a URL (https://user:pass@host) never reach a message. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, `$1${REDACTED}@`);
}

export async function git(args: string[], cwd: string, opts: GitOptions = {}): Promise<GitResult> {
  const tries = new Map<GitFailure, number>();
  for (;;) {
    const r = await gitOnce(args, cwd, opts);
    if (r.ok) return r;
    const kind = classifyGit(r.stderr || r.stdout, r.timedOut);
    if (kind === "lock" && (await removeStaleLock(r.stderr, cwd))) continue;
    const n = tries.get(kind) ?? 0;
    // A command that ran into its timeout has had its chance.
    const wait = r.timedOut ? undefined : retries(kind, opts.retry)[n];
    if (wait === undefined) return failed(r, kind, cwd, opts);
    tries.set(kind, n + 1);
    await sleep(wait * (0.75 + Math.random() / 2));
  }
}

function failed(r: GitResult, kind: GitFailure, cwd: string, opts: GitOptions): GitResult {
  if (opts.allowFail) return r;
  const why = r.timedOut
    ? `timed out after ${Math.round((opts.timeoutMs ?? GIT_TIMEOUT_MS) / 1000)}s`
    : `exit ${r.exitCode ?? r.signal}`;
  const what = `${r.command} failed in ${cwd} (${why})`;
  throw (
    localGitError(kind, what, cwd, gitReason(r)) ??
    new PaulError("internal", `${what}: ${gitReason(r)}`)
  );
}

async function gitOnce(args: string[], cwd: string, opts: GitOptions): Promise<GitResult> {
  const redact = authRedactor(opts.auth);
  const authArgs = opts.auth
    ? ["-c", `http.extraHeader=Authorization: Basic ${basicAuthValue(opts.auth.token)}`]
    : [];
  const fullArgs = [...SAFETY_CONFIG, ...authArgs, ...args];
  // rawExec interleaves the two streams; parsing needs stdout alone, so stderr goes to a file.
  const errFile = join(tmpdir(), `paul-git-${process.pid}-${randomUUID()}.err`);
  const r = await rawExec("bash", ["-c", 'exec git "$@" 2>"$0"', errFile, ...fullArgs], {
    cwd,
    timeoutMs: opts.timeoutMs ?? GIT_TIMEOUT_MS,
    maxOutput: GIT_MAX_OUTPUT,
    env: gitEnv(),
  });
  // No stderr file: bash never ran or could not create it, and the reason is in
  // r (its exit status, and bash's complaint or the spawn error in r.output).
  const rawErr = await readFile(errFile, "utf8").catch(() => "");
  await rm(errFile, { force: true });
  const stdout = redact(r.output);
  const stderr = redact(truncateMiddle(rawErr).text);
  return {
    ...r,
    command: redact(`git ${args.join(" ")}`),
    stdout,
    stderr,
    output: stderr ? `${stdout}${stdout && !stdout.endsWith("\n") ? "\n" : ""}${stderr}` : stdout,
  };
}

/** stdout of a git command that must succeed, without the trailing newline. */
export async function gitOut(args: string[], cwd: string, opts: GitOptions = {}): Promise<string> {
  const r = await git(args, cwd, { ...opts, allowFail: false });
  return r.stdout.replace(/\n+$/, "");
}

/** The line of git's output that says why it failed, for a person to read. */
export function gitReason(r: Pick<GitResult, "stderr" | "stdout">): string {
  const lines = (r.stderr || r.stdout)
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const fatal = lines.filter((l) => /^(fatal|error):/i.test(l));
  const picked = fatal.length > 0 ? fatal : lines.slice(-3);
  return picked.map((l) => l.replace(/^(fatal|error):\s*/i, "")).join("; ") || "no output";
}

/** Split NUL-separated output (`-z`) into its entries. */
export function splitZ(s: string): string[] {
  return s.split("\0").filter((x) => x.length > 0);
}
