import { existsSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { FINISHED, finishedRunsAmong, getRun, type RunRow } from "../db/runs.ts";
import { withMirrorLock } from "../workspace/lock.ts";
import { workspacePaths } from "../workspace/paths.ts";
import { mirrorDir } from "../workspace/repo.ts";
import { removeWorktreesUnder } from "../workspace/worktree.ts";
import { repoFromRun } from "./context.ts";
import type { Deps } from "./deps.ts";

/**
 * A finished run's worktrees (base, feature, tasks) and command home are of
 * no more use, and a busy repository's runs would fill the disk. Every job
 * ends by sweeping the runs of this machine's work directory that are done,
 * failed or cancelled: the job's own run, and runs cancelled while no job of
 * theirs ran. A failed run that is resumed gets its worktrees back, since
 * every phase rebuilds them from the database and the remote.
 */
export async function sweepFinishedRuns(deps: Deps): Promise<string[]> {
  const runsDir = join(deps.cfg.workDir, "runs");
  // No runs directory yet (or not readable): nothing of Paul's to sweep there.
  const names = await readdir(runsDir).catch((): string[] => []);
  if (names.length === 0) return [];
  const swept: string[] = [];
  for (const run of await finishedRunsAmong(deps.pool, names))
    if (await removeRunWorkspace(deps, run)) swept.push(run.id);
  return swept;
}

async function removeRunWorkspace(deps: Deps, run: RunRow): Promise<boolean> {
  const { workDir } = deps.cfg;
  const { runDir } = workspacePaths(workDir, run.id);
  const mirror = mirrorDir(workDir, repoFromRun(run));
  await mkdir(dirname(mirror), { recursive: true });
  // Checked again under the lock a resumed run's createWorktree also takes.
  return withMirrorLock(mirror, async () => {
    const now = await getRun(deps.pool, run.id);
    if (!now || !FINISHED.includes(now.status)) return false;
    if (existsSync(join(mirror, "HEAD"))) await removeWorktreesUnder(mirror, runDir);
    await rm(runDir, { recursive: true, force: true });
    return true;
  });
}
