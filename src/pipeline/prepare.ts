import type { Config } from "../config.ts";
import { newRunId } from "../db/runs.ts";
import { PaulError, toPaulError } from "../errors.ts";
import { discoverGates, type GatePlan } from "../gates/discover.ts";
import { preflight } from "../gates/preflight.ts";
import { type BranchCheck, checkBranch } from "../github/branches.ts";
import { checkRepoAccess, type RepoAccess } from "../github/pulls.ts";
import { workspacePaths } from "../workspace/paths.ts";
import { ensureMirror, type RepoRef, resolveBase, resolveRepoSpec } from "../workspace/repo.ts";
import { createWorktree } from "../workspace/worktree.ts";
import type { Deps } from "./deps.ts";

/** A run checked and ready to be created: nothing exists yet but its id. */
export interface Draft {
  id: string;
  feature: string;
  repo: RepoRef;
  base: { branch: string; commit?: string | undefined };
  /** Known when the base was checked out now; otherwise the first job pins them. */
  gates?: GatePlan | undefined;
}

export function checkFeature(feature: string): string {
  const f = feature.trim();
  if (!f) {
    throw new PaulError("bad_input", "The feature is empty: Paul needs to know what to build.", {
      hint: 'describe it in words, e.g. paul build "add a --json flag to the export command" --repo .',
    });
  }
  return f;
}

/**
 * Everything that can be wrong with a request is found here, before a run
 * exists: an empty feature, a repository that isn't one or can't be cloned, a
 * missing base branch, an invalid gates file. Clones now, so the base commit
 * and gates are pinned before the run starts (for a caller that can wait).
 */
export async function prepareNow(
  cfg: Config,
  req: { feature: string; repo: string; base?: string | undefined },
  cwd: string,
): Promise<Draft & { base: { branch: string; commit: string }; gates: GatePlan }> {
  const feature = checkFeature(req.feature);
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

/**
 * A GitHub repository checked through the API only, which is fast: for a
 * caller that must answer within seconds. The clone happens in the first job.
 * `from` says where the base branch came from, which decides how to fix it.
 */
export async function prepareOnGithub(
  deps: Deps,
  req: {
    feature: string;
    owner: string;
    name: string;
    base?: string | undefined;
    from?: "flag" | "channel";
  },
): Promise<Draft & { access: RepoAccess }> {
  const feature = checkFeature(req.feature);
  const access = await reachRepo(deps, req.owner, req.name);
  if (req.base) await requireBranch(deps, { ...req, access }, req.base, req.from ?? "flag");
  const repo = githubRepoRef(deps.cfg.github.webUrl, req.owner, req.name);
  return {
    id: newRunId(),
    feature,
    repo,
    base: { branch: req.base ?? access.defaultBranch },
    access,
  };
}

/** The repository through GitHub's API with Paul's credentials, and its default branch. */
export async function reachRepo(deps: Deps, owner: string, name: string): Promise<RepoAccess> {
  try {
    return await checkRepoAccess(deps.github(), owner, name);
  } catch (e) {
    const err = toPaulError(e);
    const hint = err.retryable
      ? "GitHub did not answer properly; try again in a minute"
      : "check the owner/name for typos; for a private repository, give Paul's GitHub token (GITHUB_TOKEN) access to it";
    throw new PaulError(
      "repo_unreachable",
      `Paul can't reach \`${owner}/${name}\` with its GitHub credentials: ${err.message}`,
      { hint, cause: e },
    );
  }
}

/**
 * Fails with base_branch_missing when `branch` is not in the repository, so a
 * mistyped or deleted base is told now rather than by the run's first job.
 */
export async function requireBranch(
  deps: Deps,
  r: { owner: string; name: string; access: RepoAccess },
  branch: string,
  from: "flag" | "channel",
): Promise<void> {
  const repo = `${r.owner}/${r.name}`;
  const points = [...branch];
  const shown = points.length > 100 ? `${points.slice(0, 99).join("")}…` : branch;
  // The run's base is resolved the same way, so `refs/heads/main` is as good as `main`.
  const wanted = branch.trim().replace(/^refs\/heads\//, "");
  let check: BranchCheck;
  try {
    check = await checkBranch(deps.github(), r.owner, r.name, wanted);
  } catch (e) {
    const err = toPaulError(e);
    const hint = err.retryable ? "GitHub did not answer properly; try again in a minute" : err.hint;
    throw new PaulError(err.code, `Paul can't check branch '${shown}' in ${repo}: ${err.message}`, {
      ...(hint ? { hint } : {}),
      cause: e,
    });
  }
  if (check.exists) return;
  const names = check.suggestions.map((b) => `\`${b}\``).join(", ");
  const fix =
    from === "flag"
      ? `leave out --base to use the default branch \`${r.access.defaultBranch}\``
      : `it is this channel's default base: change it with \`/paul repo ${repo} --base <branch>\`, or give this build a --base`;
  // One page of names, which may not be all of them.
  const hint = names
    ? `Existing branches include ${names}; ${fix}.`
    : "The repository has no branches yet; push a first commit to it.";
  throw new PaulError("base_branch_missing", `Branch '${shown}' does not exist in ${repo}`, {
    hint,
  });
}

export function githubRepoRef(webUrl: string, owner: string, name: string): RepoRef {
  const ref = resolveRepoSpec(`${webUrl}/${owner}/${name}`, { githubWebUrl: webUrl, cwd: "/" });
  return { ...ref, spec: `${owner}/${name}` };
}
