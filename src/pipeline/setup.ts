import { pinBase, type RunRow } from "../db/runs.ts";
import { invariant, PaulError } from "../errors.ts";
import { discoverGates } from "../gates/discover.ts";
import { preflight } from "../gates/preflight.ts";
import type { GitAuth } from "../workspace/git.ts";
import { workspacePaths } from "../workspace/paths.ts";
import { fetchRef } from "../workspace/push.ts";
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
  const auth = cfg.github.token ? { token: cfg.github.token } : undefined;
  const mirror = await ensureMirror(repoFromRun(run), cfg.workDir, auth);
  const base =
    run.kind === "followup"
      ? await branchHead(mirror, run, auth)
      : await resolveBase(mirror, run.base_branch);
  const dir = workspacePaths(cfg.workDir, run.id).baseDir;
  await createWorktree(mirror, dir, `paul-base/${run.id}`, base.commit);
  const gates = await discoverGates(dir);
  await preflight(cfg, { id: run.id, dir, mirror }, gates);
  const pinned = await pinBase(deps.pool, run.id, base.commit, gates);
  invariant(pinned, `run ${run.id} vanished while its base was pinned`);
  return pinned;
}

/**
 * A follow-up starts from its build's branch as the remote has it now. The
 * mirror's refresh leaves Paul's own branches out (worktree branches share
 * their names), so the branch is fetched by itself under refs/paul/.
 */
async function branchHead(
  mirror: string,
  run: RunRow,
  auth: GitAuth | undefined,
): Promise<{ branch: string; commit: string }> {
  const commit = await fetchRef(
    mirror,
    run.repo_url,
    `refs/heads/${run.base_branch}`,
    `refs/paul/${run.id}/start`,
    auth,
  );
  if (!commit) {
    throw new PaulError(
      "bad_input",
      `Branch ${run.base_branch} is gone from ${run.repo_spec}, so there is nothing to follow up on.`,
      { hint: "its PR was probably merged or closed; start a new run with paul build" },
    );
  }
  return { branch: run.base_branch, commit };
}
