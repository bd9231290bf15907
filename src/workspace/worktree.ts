import { existsSync, realpathSync } from "node:fs";
import { appendFile, mkdir, readFile, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { invariant, PaulError } from "../errors.ts";
import { git, gitOut, gitReason, splitZ } from "./git.ts";
import { classifyGit, localGitError } from "./git-errors.ts";
import { sanitizeRepoConfig } from "./guard.ts";
import { withMirrorLock } from "./lock.ts";
import { setMirrorAside, WORKTREE_BRANCH_PREFIXES } from "./repo.ts";

export type ChangeType = "added" | "modified" | "deleted";
export interface ChangedFile {
  path: string;
  changeType: ChangeType;
}
export type MergeResult = { ok: true; commit: string } | { ok: false; conflicts: string[] };

/**
 * Installed dependencies are never part of a change, even in a repository
 * whose .gitignore forgets them; the mirror's info/exclude covers every worktree.
 */
async function ignoreDependencies(mirror: string): Promise<void> {
  const file = join(mirror, "info", "exclude");
  // No exclude file yet (or none readable): the append below makes or reports it.
  const current = await readFile(file, "utf8").catch(() => "");
  if (current.split("\n").includes("node_modules/")) return;
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${current && !current.endsWith("\n") ? "\n" : ""}node_modules/\n`);
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

async function isWorktreeOf(mirror: string, dir: string): Promise<boolean> {
  const r = await git(["rev-parse", "--git-common-dir", "--show-toplevel"], dir, {
    allowFail: true,
  });
  const [common, top] = r.stdout.split("\n");
  if (!r.ok || !common || !top) return false;
  return real(resolve(dir, common)) === real(mirror) && real(top) === real(dir);
}

function assertWorktreeBranch(branch: string): void {
  if (WORKTREE_BRANCH_PREFIXES.some((p) => branch.startsWith(p))) return;
  throw new PaulError(
    "internal",
    `Worktree branch '${branch}' must start with ${WORKTREE_BRANCH_PREFIXES.join(" or ")}: a mirror refresh prunes any other branch the remote lacks`,
  );
}

/**
 * Leaves `dir` a worktree of `mirror` with `branch` checked out at
 * `startCommit` and nothing else in it. Safe to call again for the same dir:
 * a job retried after a crash, or on another machine, gets the same result
 * whether the directory is missing, half made, or left from the last try.
 */
export async function createWorktree(
  mirror: string,
  dir: string,
  branch: string,
  startCommit: string,
): Promise<void> {
  assertWorktreeBranch(branch);
  await sanitizeRepoConfig(mirror);
  await ignoreDependencies(mirror);
  if (existsSync(dir) && (await isWorktreeOf(mirror, dir))) {
    await resetWorktree(dir, branch, startCommit);
    return;
  }
  const r = await withMirrorLock(mirror, async () => {
    // A directory Paul made earlier whose registration is gone (or that never finished).
    await rm(dir, { recursive: true, force: true });
    await git(["worktree", "prune"], mirror, { retry: "mirror" });
    await mkdir(dirname(dir), { recursive: true });
    return git(["worktree", "add", "--quiet", "-B", branch, dir, startCommit], mirror, {
      allowFail: true,
      retry: "mirror",
    });
  });
  if (r.ok) return;
  const kind = classifyGit(r.stderr, r.timedOut);
  const what = `Could not create a worktree for ${branch} at ${dir}`;
  if (kind === "corrupt") {
    await setMirrorAside(mirror);
    throw new PaulError(
      "mirror_damaged",
      `${what}: the mirror ${mirror} is damaged (${gitReason(r)})`,
      {
        hint: "Paul has moved the damaged mirror out of the way; the next try clones the repository again.",
      },
    );
  }
  throw (
    localGitError(kind, what, dirname(dir), gitReason(r)) ??
    new PaulError("internal", `${what}: ${gitReason(r)}`)
  );
}

/** Back to `startCommit` on `branch`: no previous attempt's tracked, untracked or ignored files survive. */
export async function resetWorktree(
  dir: string,
  branch: string,
  startCommit: string,
): Promise<void> {
  assertWorktreeBranch(branch);
  await sanitizeRepoConfig(dir);
  // A git killed mid-command (crash, timeout) leaves its lock behind.
  const gitDir = await gitOut(["rev-parse", "--absolute-git-dir"], dir);
  await rm(join(gitDir, "index.lock"), { force: true });
  // Clears an interrupted merge before switching branches.
  await git(["reset", "--hard", "--quiet"], dir, { allowFail: true });
  await git(["checkout", "--quiet", "--force", "-B", branch, startCommit], dir);
  await git(["reset", "--hard", "--quiet", startCommit], dir);
  await git(["clean", "-ffdx", "--quiet", "-e", "node_modules"], dir);
}

/** Commit everything in the worktree; null when there was nothing to commit. */
export async function commitAll(dir: string, message: string): Promise<string | null> {
  await sanitizeRepoConfig(dir);
  await git(["add", "-A"], dir);
  const d = await git(["diff", "--cached", "--quiet", "--no-ext-diff", "--no-textconv"], dir, {
    allowFail: true,
  });
  if (d.exitCode === 0) return null;
  if (d.exitCode !== 1) throw new PaulError("internal", `git diff failed: ${gitReason(d)}`);
  await git(["commit", "--quiet", "--no-verify", "-m", message], dir);
  return gitOut(["rev-parse", "HEAD"], dir);
}

/** Every file changed since `fromCommit`: committed, staged, unstaged and untracked. */
export async function touchedFiles(dir: string, fromCommit: string): Promise<string[]> {
  const z = async (args: string[]) => splitZ((await git(args, dir)).stdout);
  const lists = await Promise.all([
    z([
      "diff",
      "--no-ext-diff",
      "--no-textconv",
      "--name-only",
      "--no-renames",
      "-z",
      fromCommit,
      "HEAD",
    ]),
    z(["diff", "--no-ext-diff", "--no-textconv", "--name-only", "--no-renames", "-z", "HEAD"]),
    z(["ls-files", "--others", "--exclude-standard", "-z"]),
  ]);
  return [...new Set(lists.flat())].sort();
}

/** Files that differ between two commits; a rename is a deletion and an addition. */
export async function changedFiles(dir: string, from: string, to: string): Promise<ChangedFile[]> {
  const r = await git(
    ["diff", "--no-ext-diff", "--no-textconv", "--name-status", "--no-renames", "-z", from, to],
    dir,
  );
  const parts = splitZ(r.stdout);
  const out: ChangedFile[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const status = parts[i];
    const path = parts[i + 1];
    invariant(status !== undefined && path !== undefined, "a pair of diff fields is in range");
    const changeType: ChangeType = status.startsWith("A")
      ? "added"
      : status.startsWith("D")
        ? "deleted"
        : "modified";
    out.push({ path, changeType });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Lines added plus lines removed between two commits (binary files count as one). */
export async function changedLines(dir: string, from: string, to: string): Promise<number> {
  const out = await gitOut(["diff", "--numstat", from, to], dir);
  let n = 0;
  for (const line of out.split("\n")) {
    const [added, removed] = line.split("\t");
    if (added === undefined || removed === undefined) continue;
    n += added === "-" ? 1 : Number(added) + Number(removed);
  }
  return n;
}

/** Whether `a` is `b` or one of its ancestors. */
export async function isAncestor(dir: string, a: string, b: string): Promise<boolean> {
  return (await git(["merge-base", "--is-ancestor", a, b], dir, { allowFail: true })).ok;
}

/**
 * Replay the commits `base..HEAD` of the worktree on top of `onto` (a branch
 * that moved under a follow-up). Conflicts abort the rebase and are listed;
 * nothing of the branch is lost either way.
 */
export async function rebaseOnto(dir: string, onto: string, base: string): Promise<MergeResult> {
  await sanitizeRepoConfig(dir);
  const r = await git(["rebase", "--no-autostash", "--onto", onto, base], dir, { allowFail: true });
  if (r.ok) return { ok: true, commit: await gitOut(["rev-parse", "HEAD"], dir) };
  const u = await git(["diff", "--name-only", "--diff-filter=U", "-z"], dir, { allowFail: true });
  const conflicts = [...new Set(splitZ(u.stdout))].sort();
  await git(["rebase", "--abort"], dir, { allowFail: true });
  if (conflicts.length === 0) {
    throw new PaulError("internal", `git rebase onto ${onto} failed in ${dir}: ${gitReason(r)}`);
  }
  return { ok: false, conflicts };
}

export async function removeWorktree(mirror: string, dir: string): Promise<void> {
  await withMirrorLock(mirror, async () => {
    await git(["worktree", "remove", "--force", "--force", dir], mirror, { allowFail: true });
    await rm(dir, { recursive: true, force: true });
    await git(["worktree", "prune"], mirror, { allowFail: true, retry: "mirror" });
  });
}

/**
 * Every worktree of the mirror under `root` (a run's directory), removed with
 * its branch, so a finished run leaves nothing on disk or in the mirror.
 * Returns the directories removed.
 */
export async function removeWorktreesUnder(mirror: string, root: string): Promise<string[]> {
  const tops = [real(root), resolve(root)].map((t) => `${t}/`);
  const inside = (d: string) => tops.some((t) => real(d).startsWith(t) || resolve(d).startsWith(t));
  return withMirrorLock(mirror, async () => {
    const list = await git(["worktree", "list", "--porcelain"], mirror, { allowFail: true });
    const found: { dir: string; branch?: string }[] = [];
    for (const field of list.stdout.split("\n")) {
      const last = found.at(-1);
      if (field.startsWith("worktree ")) found.push({ dir: field.slice(9) });
      else if (field.startsWith("branch ") && last) last.branch = field.slice(7);
    }
    const mine = found.filter((w) => inside(w.dir));
    for (const w of mine) {
      await git(["worktree", "remove", "--force", "--force", w.dir], mirror, { allowFail: true });
      await rm(w.dir, { recursive: true, force: true });
    }
    await git(["worktree", "prune"], mirror, { allowFail: true, retry: "mirror" });
    for (const w of mine) {
      const b = w.branch?.replace(/^refs\/heads\//, "");
      if (b && WORKTREE_BRANCH_PREFIXES.some((p) => b.startsWith(p)))
        await git(["update-ref", "-d", `refs/heads/${b}`], mirror, { allowFail: true });
    }
    return mine.map((w) => w.dir);
  });
}

/**
 * Merge `commit` into the branch checked out in `dir` with a merge commit. A
 * conflict is an expected outcome: the merge is aborted, the worktree is left
 * as it was, and the conflicting files are returned.
 */
export async function mergeInto(
  dir: string,
  commit: string,
  message: string,
): Promise<MergeResult> {
  await sanitizeRepoConfig(dir);
  const r = await git(["merge", "--no-ff", "--no-edit", "-m", message, commit], dir, {
    allowFail: true,
  });
  if (r.ok) return { ok: true, commit: await gitOut(["rev-parse", "HEAD"], dir) };
  const u = await git(
    ["diff", "--no-ext-diff", "--no-textconv", "--name-only", "--diff-filter=U", "-z"],
    dir,
    { allowFail: true },
  );
  const conflicts = [...new Set(splitZ(u.stdout))].sort();
  await git(["merge", "--abort"], dir, { allowFail: true });
  await git(["reset", "--hard", "--quiet"], dir, { allowFail: true });
  if (conflicts.length === 0) {
    throw new PaulError("internal", `git merge of ${commit} failed in ${dir}: ${gitReason(r)}`);
  }
  return { ok: false, conflicts };
}
