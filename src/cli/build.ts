import { userInfo } from "node:os";
import type { Config } from "../config.ts";
import { newRunId } from "../db/runs.ts";
import { PaulError } from "../errors.ts";
import { discoverGates, type GatePlan } from "../gates/discover.ts";
import { preflight } from "../gates/preflight.ts";
import { workspacePaths } from "../workspace/paths.ts";
import { ensureMirror, type RepoRef, resolveBase, resolveRepoSpec } from "../workspace/repo.ts";
import { createWorktree } from "../workspace/worktree.ts";

export interface BuildRequest {
  feature: string;
  repo: string;
  base?: string | undefined;
  budgetUsd?: number | undefined;
}

export interface PreparedRun {
  id: string;
  feature: string;
  repo: RepoRef;
  base: { branch: string; commit: string };
  gates: GatePlan;
}

export function cliUser(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli:unknown";
  }
}

/**
 * Everything that can be wrong with a request is found here, before a run
 * exists: an empty feature, a repository that isn't one or can't be cloned, a
 * missing base branch, an invalid gates file.
 */
export async function prepareRun(
  cfg: Config,
  req: BuildRequest,
  cwd: string,
): Promise<PreparedRun> {
  const feature = req.feature.trim();
  if (!feature) {
    throw new PaulError("bad_input", "The feature is empty: Paul needs to know what to build.", {
      hint: 'describe it in words, e.g. paul build "add a --json flag to the export command" --repo .',
    });
  }
  if (!req.repo?.trim()) {
    throw new PaulError("bad_input", "No repository given.", {
      hint: "add --repo <path | git url | owner/name>",
    });
  }
  const repo = resolveRepoSpec(req.repo.trim(), { githubWebUrl: cfg.github.webUrl, cwd });
  const auth = cfg.github.token ? { token: cfg.github.token } : undefined;
  const mirror = await ensureMirror(repo, cfg.workDir, auth);
  const base = await resolveBase(mirror, req.base);
  const id = newRunId();
  const dir = workspacePaths(cfg.workDir, id).baseDir;
  await createWorktree(mirror, dir, `paul-base/${id}`, base.commit);
  const gates = await discoverGates(dir);
  await preflight(cfg, { id, dir, mirror }, gates);
  return { id, feature, repo, base, gates };
}
