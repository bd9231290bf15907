import { pinBase, type RunRow } from "../db/runs.ts";
import { invariant } from "../errors.ts";
import { discoverGates } from "../gates/discover.ts";
import { preflight } from "../gates/preflight.ts";
import { workspacePaths } from "../workspace/paths.ts";
import { ensureMirror, resolveBase } from "../workspace/repo.ts";
import { createWorktree } from "../workspace/worktree.ts";
import { repoFromRun } from "./context.ts";
import type { Deps } from "./deps.ts";

/**
 * A run created where cloning is too slow to wait for (a Slack command must be
 * acknowledged within 3 seconds) has no base commit or gates yet: the first
 * job pins them, so every later phase sees the same commit.
 */
export async function settleBase(deps: Deps, run: RunRow): Promise<RunRow> {
  if (run.base_commit) return run;
  const { cfg } = deps;
  const mirror = await ensureMirror(
    repoFromRun(run),
    cfg.workDir,
    cfg.github.token ? { token: cfg.github.token } : undefined,
  );
  const base = await resolveBase(mirror, run.base_branch);
  const dir = workspacePaths(cfg.workDir, run.id).baseDir;
  await createWorktree(mirror, dir, `paul-base/${run.id}`, base.commit);
  const gates = await discoverGates(dir);
  await preflight(cfg, { id: run.id, dir, mirror }, gates);
  const pinned = await pinBase(deps.pool, run.id, base.commit, gates);
  invariant(pinned, `run ${run.id} vanished while its base was pinned`);
  return pinned;
}
