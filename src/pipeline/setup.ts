import type { Queryable } from "../db/pool.ts";
import type { RunRow } from "../db/runs.ts";
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
  return pinBase(deps.pool, run.id, base.commit, gates);
}

async function pinBase(db: Queryable, id: string, commit: string, gates: unknown): Promise<RunRow> {
  const res = await db.query<RunRow>(
    "update runs set base_commit = coalesce(base_commit, $2), gates = coalesce(gates, $3), updated_at = now() where id = $1 returning *",
    [id, commit, JSON.stringify(gates)],
  );
  return res.rows[0]!;
}
