import { join } from "node:path";
import type { Config } from "../../config.ts";
import type { RunRow } from "../../db/runs.ts";
import { PaulError } from "../../errors.ts";
import type { GatePlan } from "../../gates/discover.ts";
import type { Sandbox } from "../../workspace/exec.ts";
import type { GitAuth } from "../../workspace/git.ts";
import { commandSetup, workspacePaths } from "../../workspace/paths.ts";
import { fetchRef, pushRef } from "../../workspace/push.ts";
import { hasCommit, mirrorWith, type RepoRef } from "../../workspace/repo.ts";
import { createWorktree } from "../../workspace/worktree.ts";
import { repoFromRun } from "../context.ts";

/**
 * Where a run's implementation lives in git. Every commit another worker may
 * need is pushed under refs/paul/<run>/ on the remote before the database
 * points at it, so any worker rebuilds any worktree from the two.
 */
export const featureRef = (runId: string) => `refs/paul/${runId}/feature`;
export const taskRef = (runId: string, key: string) => `refs/paul/${runId}/tasks/${key}`;

const branch = (runId: string, what: string) => `paul/${runId}/${what}`;

export interface RunGit {
  repo: RepoRef;
  mirror: string;
  auth: GitAuth | undefined;
  cfg: Config;
  run: RunRow;
}

/**
 * The run's repository on this machine. A mirror that exists is used as it
 * is: every commit a task needs is named by id and fetched from its
 * refs/paul ref only when missing (ensureCommit), so a task does not pay for
 * refreshing the whole remote; a machine without the mirror clones it.
 */
export async function openRunGit(cfg: Config, run: RunRow): Promise<RunGit> {
  const repo = repoFromRun(run);
  const auth = cfg.github.token ? { token: cfg.github.token } : undefined;
  const mirror = await mirrorWith(repo, cfg.workDir, null, auth);
  return { repo, mirror, auth, cfg, run };
}

/** Make sure `commit` is in the mirror, fetching `ref` (where it was pushed) if it is not. */
export async function ensureCommit(g: RunGit, commit: string, ref: string): Promise<void> {
  if (await hasCommit(g.mirror, commit)) return;
  await fetchRef(g.mirror, g.repo.url, ref, ref, g.auth);
  if (!(await hasCommit(g.mirror, commit))) {
    throw new PaulError("internal", `commit ${commit} is neither on this machine nor under ${ref}`);
  }
}

export async function push(g: RunGit, dir: string, commit: string, ref: string): Promise<void> {
  // Forced: a task redone after a retry, or a merge redone after a crash, replaces what was there.
  await pushRef(dir, commit, ref, {
    remoteUrl: g.repo.url,
    baseBranch: g.run.base_branch,
    force: true,
    ...(g.auth ? { auth: g.auth } : {}),
  });
}

export type WorktreeKind = { task: string } | "merge" | "integration";

/** A worktree of this run at `commit`, made or reset; its branch is Paul's own. */
export async function worktreeAt(
  g: RunGit,
  kind: WorktreeKind,
  commit: string,
): Promise<{ dir: string; branch: string }> {
  const paths = workspacePaths(g.cfg.workDir, g.run.id);
  const w =
    typeof kind === "object"
      ? { dir: paths.taskDir(kind.task), branch: branch(g.run.id, `tasks/${kind.task}`) }
      : kind === "merge"
        ? { dir: paths.implDir, branch: branch(g.run.id, "merge") }
        : { dir: join(paths.runDir, "integration"), branch: branch(g.run.id, "integration") };
  await createWorktree(g.mirror, w.dir, w.branch, commit);
  return w;
}

/** The sandbox and environment of the coder's and the gates' commands in `dir`. */
export function sandboxIn(
  g: RunGit,
  dir: string,
  gates: GatePlan,
): { sandbox: Sandbox; env: Record<string, string> } {
  return commandSetup({
    home: g.cfg.home,
    workDir: g.cfg.workDir,
    runId: g.run.id,
    root: dir,
    mirror: g.mirror,
    pass: gates.passEnv ?? [],
  });
}
