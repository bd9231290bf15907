import type { Octokit } from "@octokit/rest";
import { GitHubError } from "./errors.ts";

export type BranchCheck = { exists: true } | { exists: false; suggestions: string[] };

/** Enough to jog the user's memory without flooding a Slack message. */
const SUGGESTIONS = 10;

/**
 * Whether `branch` is in owner/repo, asked of GitHub's API so a missing base
 * is caught before any clone or run exists. When it is missing, a few
 * branches that do exist, to pick from.
 */
export async function checkBranch(
  gh: Octokit,
  owner: string,
  repo: string,
  branch: string,
): Promise<BranchCheck> {
  let renamedTo: string | undefined;
  // An empty name would fill the route as /branches/, which GitHub answers with the listing.
  if (branch !== "") {
    try {
      const { data } = await gh.rest.repos.getBranch({ owner, repo, branch });
      // GitHub redirects a renamed branch to its new name, but git, which clones it, does not.
      if (data.name === branch) return { exists: true };
      renamedTo = data.name;
    } catch (e) {
      if (!(e instanceof GitHubError && e.status === 404)) throw e;
    }
  }
  // A repository the token can't see also 404s above; this listing then fails with github_not_found.
  const { data } = await gh.rest.repos.listBranches({ owner, repo, per_page: SUGGESTIONS });
  const names = data.map((b) => b.name);
  const suggestions = renamedTo ? [renamedTo, ...names.filter((n) => n !== renamedTo)] : names;
  return { exists: false, suggestions: suggestions.slice(0, SUGGESTIONS) };
}
