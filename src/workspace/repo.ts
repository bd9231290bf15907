import { createHash, randomUUID } from "node:crypto";
import { existsSync, realpathSync, statSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { isPaulError, PaulError } from "../errors.ts";
import {
  GIT_NETWORK_TIMEOUT_MS,
  type GitAuth,
  type GitResult,
  git,
  gitReason,
  redactUrl,
} from "./git.ts";
import { classifyGit, localGitError } from "./git-errors.ts";
import { sanitizeRepoConfig } from "./guard.ts";
import { withMirrorLock } from "./lock.ts";

export interface RepoRef {
  /** What the user typed. */
  spec: string;
  /** What git clones from. */
  url: string;
  /** Stable identity: "github:owner/name", "path:/abs/path" or "url:…". */
  key: string;
  github?: { owner: string; name: string };
}

const SPEC_HINT =
  "Give a local path to a git repository, a git URL (https://…, ssh://…, git@host:owner/name, file://…) or owner/name for a GitHub repository.";
const OWNER_NAME = /^([A-Za-z0-9][A-Za-z0-9-]*)\/([A-Za-z0-9._-]+?)(?:\.git)?$/;
const URL_SCHEME = /^(https?|ssh|git|file):\/\//i;
const SCP_LIKE = /^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):(?!\/\/)(.+)$/;

export function resolveRepoSpec(
  spec: string,
  opts: { githubWebUrl: string; cwd: string },
): RepoRef {
  const s = spec.trim();
  if (!s) throw new PaulError("bad_input", "No repository was given", { hint: SPEC_HINT });
  const base = opts.githubWebUrl.replace(/\/+$/, "");
  if (URL_SCHEME.test(s) || SCP_LIKE.test(s)) return fromUrl(s, base);
  const expanded = s === "~" || s.startsWith("~/") ? join(homedir(), s.slice(1)) : s;
  const path = resolve(opts.cwd, expanded);
  if (existsSync(path)) return fromPath(s, path);
  const explicitPath = isAbsolute(expanded) || /^\.\.?(\/|$)/.test(s);
  const m = OWNER_NAME.exec(s);
  if (!explicitPath && m?.[1] && m[2] && m[2] !== "." && m[2] !== "..") {
    return githubRef(s, base, m[1], m[2]);
  }
  throw new PaulError("bad_input", `The repository '${s}' does not exist (looked for ${path})`, {
    hint: `Check the path for typos. ${SPEC_HINT}`,
  });
}

function githubRef(spec: string, base: string, owner: string, name: string, url?: string): RepoRef {
  return {
    spec,
    url: url ?? `${base}/${owner}/${name}.git`,
    key: `github:${owner.toLowerCase()}/${name.toLowerCase()}`,
    github: { owner, name },
  };
}

function fromPath(spec: string, path: string): RepoRef {
  const real = realpathSync(path);
  const isDir = statSync(real).isDirectory();
  const worktree = isDir && existsSync(join(real, ".git"));
  const bare = isDir && ["HEAD", "objects", "refs"].every((f) => existsSync(join(real, f)));
  if (!worktree && !bare) {
    throw new PaulError("bad_input", `'${spec}' is not a git repository`, {
      hint: "Pass the repository's top-level directory (the one that contains .git), or run `git init` and commit there first.",
    });
  }
  return { spec, url: real, key: `path:${real}` };
}

function fromUrl(spec: string, base: string): RepoRef {
  const lower = spec.toLowerCase();
  if (lower.startsWith(`${base.toLowerCase()}/`)) {
    const rest = spec
      .slice(base.length + 1)
      .replace(/\/+$/, "")
      .replace(/\.git$/, "");
    const m = /^([^/]+)\/([^/]+)$/.exec(rest);
    if (m?.[1] && m[2]) return githubRef(spec, base, m[1], m[2]);
  }
  const host = hostOf(base);
  const scp = SCP_LIKE.exec(spec);
  const sshPath = scp
    ? scp[1]?.toLowerCase() === host && scp[2]
    : /^ssh:\/\//i.test(spec) && hostOf(spec) === host && new URL(spec).pathname.slice(1);
  if (host && sshPath) {
    const m = /^([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(sshPath);
    if (m?.[1] && m[2]) return githubRef(spec, base, m[1], m[2], spec);
  }
  const keyUrl = redactUrl(spec)
    .replace(/^([a-z]+:\/\/)\[REDACTED\]@/i, "$1")
    .replace(/\/+$/, "")
    .replace(/\.git$/, "");
  return { spec, url: spec, key: `url:${keyUrl}` };
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return "";
  }
}

export function mirrorDir(workDir: string, ref: RepoRef): string {
  const hash = createHash("sha256").update(ref.key).digest("hex").slice(0, 16);
  return join(workDir, "mirrors", hash);
}

/**
 * Worktree branches live in the mirror's own refs/heads, under these prefixes.
 * A refresh must never move or prune them, or a worktree would lose its branch.
 */
export const WORKTREE_BRANCH_PREFIXES = ["paul/", "paul-base/"] as const;

const HEADS_REFSPECS = [
  "+refs/heads/*:refs/heads/*",
  ...WORKTREE_BRANCH_PREFIXES.map((p) => `^refs/heads/${p}*`),
];
const PAUL_REFSPEC = "+refs/paul/*:refs/paul/*";

/** Enough of a repository to name it in a message. */
export type RemoteName = Pick<RepoRef, "spec" | "github">;

function unreachable(ref: RemoteName, verb: string, reason: string): PaulError {
  return new PaulError("repo_unreachable", `Could not ${verb} ${redactUrl(ref.spec)}: ${reason}`, {
    hint: ref.github
      ? "Check that the repository exists and the name is spelled right; for a private repository set GITHUB_TOKEN to a token that can read it."
      : "Check the URL or path and that this machine can reach it; a private repository needs credentials (GITHUB_TOKEN for GitHub over https, an SSH key in ~/.ssh for ssh URLs).",
  });
}

/**
 * A failed clone or fetch, told by where the trouble is: this machine's disk
 * or mirror (retryable or a local fix), the network (already retried), or
 * the remote itself (not there, no access: permanent).
 */
export function remoteFailure(ref: RemoteName, verb: string, r: GitResult, dir: string): PaulError {
  const kind = classifyGit(r.stderr || r.stdout, r.timedOut);
  const reason = gitReason(r);
  const local = localGitError(kind, `Could not ${verb} ${redactUrl(ref.spec)}`, dir, reason);
  if (local) return local;
  if (kind === "network")
    return new PaulError(
      "repo_unreachable",
      `Could not ${verb} ${redactUrl(ref.spec)}: the remote did not answer (${reason})`,
      {
        hint: "Paul tried several times. Check this machine's network (DNS, proxy, firewall) and that the git host is up, then resume the run.",
      },
    );
  return unreachable(ref, verb, reason);
}

/**
 * A damaged mirror is only a cache of the remote: it is moved out of the way
 * (under the mirror lock, so nothing is mid-write in it) and cloned again by
 * the next caller. Worktrees made from it are rebuilt by createWorktree.
 */
export async function setMirrorAside(mirror: string): Promise<void> {
  await withMirrorLock(mirror, async () => {
    const gone = `${mirror}.damaged-${randomUUID().slice(0, 8)}`;
    if (
      await rename(mirror, gone).then(
        () => true,
        () => false,
      )
    )
      await rm(gone, { recursive: true, force: true });
  });
}

/**
 * A bare mirror per repository, cloned once and fetched before each use. The
 * lock makes concurrent callers (several jobs, several worker processes) wait
 * for one clone instead of racing; the clone lands under a temporary name and
 * is renamed into place, so a crash never leaves a half-cloned mirror behind.
 */
export async function ensureMirror(ref: RepoRef, workDir: string, auth?: GitAuth): Promise<string> {
  const dir = mirrorDir(workDir, ref);
  await mkdir(dirname(dir), { recursive: true });
  await withMirrorLock(dir, async () => {
    if (existsSync(join(dir, "HEAD"))) {
      try {
        await refreshMirror(ref, dir, auth);
        return;
      } catch (e) {
        if (!isPaulError(e) || e.code !== "mirror_damaged") throw e;
        await setMirrorAside(dir);
      }
    }
    await cloneMirror(ref, dir, auth);
  });
  return dir;
}

/**
 * The mirror as this machine has it, refreshed from the remote only when it is
 * missing or lacks `commit`: a phase working on a pinned commit (or fetching
 * the one ref it needs) does not pay for refreshing the whole remote.
 */
export async function mirrorWith(
  ref: RepoRef,
  workDir: string,
  commit: string | null,
  auth?: GitAuth,
): Promise<string> {
  const dir = mirrorDir(workDir, ref);
  const usable = existsSync(join(dir, "HEAD")) && (!commit || (await hasCommit(dir, commit)));
  return usable ? dir : ensureMirror(ref, workDir, auth);
}

export async function hasCommit(mirror: string, commit: string): Promise<boolean> {
  return (await git(["cat-file", "-e", `${commit}^{commit}`], mirror, { allowFail: true })).ok;
}

async function cloneMirror(ref: RepoRef, dir: string, auth?: GitAuth): Promise<void> {
  const tmp = `${dir}.tmp-${randomUUID().slice(0, 8)}`;
  try {
    const timeoutMs = GIT_NETWORK_TIMEOUT_MS;
    const r = await git(["clone", "--bare", "--quiet", ref.url, tmp], dirname(dir), {
      auth,
      allowFail: true,
      timeoutMs,
      retry: "network",
    });
    if (!r.ok) throw remoteFailure(ref, "clone", r, dirname(dir));
    await git(["config", "--unset-all", "remote.origin.fetch"], tmp, { allowFail: true });
    for (const spec of [...HEADS_REFSPECS, PAUL_REFSPEC])
      await git(["config", "--add", "remote.origin.fetch", spec], tmp);
    await git(["config", "paul.spec", ref.spec], tmp);
    await git(["config", "paul.key", ref.key], tmp);
    await fetchMirror(ref, tmp, auth);
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Branches are pruned so deleted ones don't linger in hints; refs/paul/* is
 * not, because a job may have fetched one there (fetchRef) that the remote
 * lacks, and another job's refresh must not delete it under it.
 */
async function fetchMirror(ref: RepoRef, dir: string, auth?: GitAuth): Promise<void> {
  const fetches = [
    ["fetch", "--prune", "--quiet", "origin", ...HEADS_REFSPECS],
    ["fetch", "--quiet", "origin", PAUL_REFSPEC],
  ];
  for (const args of fetches) {
    const f = await git(args, dir, {
      auth,
      allowFail: true,
      timeoutMs: GIT_NETWORK_TIMEOUT_MS,
      retry: "network",
    });
    if (!f.ok) throw remoteFailure(ref, "fetch", f, dir);
  }
}

async function refreshMirror(ref: RepoRef, dir: string, auth?: GitAuth): Promise<void> {
  await sanitizeRepoConfig(dir);
  await git(["remote", "set-url", "origin", ref.url], dir);
  await fetchMirror(ref, dir, auth);
  const timeoutMs = GIT_NETWORK_TIMEOUT_MS;
  // The remote's default branch may have changed since the clone.
  const head = await git(["ls-remote", "--symref", "origin", "HEAD"], dir, {
    auth,
    allowFail: true,
    timeoutMs,
    retry: "network",
  });
  const target = /^ref: (refs\/heads\/\S+)\s+HEAD$/m.exec(head.stdout)?.[1];
  if (head.ok && target) {
    const exists = await git(["rev-parse", "--verify", "--quiet", target], dir, {
      allowFail: true,
    });
    if (exists.ok) await git(["symbolic-ref", "HEAD", target], dir);
  }
}

export async function listBranches(mirror: string): Promise<string[]> {
  const r = await git(
    ["for-each-ref", "--sort=-committerdate", "--format=%(refname:strip=2)", "refs/heads"],
    mirror,
  );
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .filter((b) => !WORKTREE_BRANCH_PREFIXES.some((p) => b.startsWith(p)));
}

export async function resolveBase(
  mirror: string,
  branch?: string,
): Promise<{ branch: string; commit: string }> {
  let name = branch?.trim().replace(/^refs\/heads\//, "");
  if (!name) {
    const head = await git(["symbolic-ref", "--quiet", "HEAD"], mirror, { allowFail: true });
    name = head.stdout.trim().replace(/^refs\/heads\//, "");
  }
  const c = await git(["rev-parse", "--verify", "--quiet", `refs/heads/${name}^{commit}`], mirror, {
    allowFail: true,
  });
  const commit = c.stdout.trim();
  if (c.ok && /^[0-9a-f]{40,64}$/.test(commit)) return { branch: name, commit };
  const spec = (await git(["config", "--get", "paul.spec"], mirror, { allowFail: true })).stdout;
  const branches = await listBranches(mirror);
  const shown = branches.slice(0, 10).join(", ");
  const more = branches.length > 10 ? ` and ${branches.length - 10} more` : "";
  throw new PaulError(
    "base_branch_missing",
    `Branch '${name}' does not exist in ${redactUrl(spec.trim() || mirror)}`,
    {
      hint:
        branches.length > 0
          ? `Pick one of the existing branches: ${shown}${more}.`
          : "The repository has no branches yet; push a first commit to it.",
    },
  );
}
