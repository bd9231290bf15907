import type { Octokit } from "@octokit/rest";
import { PaulError } from "../errors.ts";
import { GitHubError } from "./errors.ts";

export interface PullRequestInput {
  owner: string;
  repo: string;
  /** The branch name in owner/repo (an "owner:branch" label is accepted too). */
  head: string;
  base: string;
  title: string;
  body: string;
  draft?: boolean;
}

export interface PullRequestRef {
  url: string;
  number: number;
  /** True when a PR for this branch was already open and its body was updated instead. */
  reused: boolean;
}

function isAlreadyOpen(e: unknown): boolean {
  return (
    e instanceof GitHubError &&
    e.status === 422 &&
    e.details.some((d) => /pull request already exists/i.test(d))
  );
}

/** Put a 422 in the terms of this pull request, with what the user can do about it. */
function explainRejection(e: GitHubError, input: PullRequestInput, branch: string): GitHubError {
  const said = e.details.length ? e.details.join("; ") : e.message;
  let hint: string | undefined;
  if (/no commits between/i.test(said)) {
    hint = `The branch ${branch} has no changes against ${input.base}, so there is nothing to propose.`;
  } else if (/\bhead\b/i.test(said)) {
    hint = `The branch ${branch} is not on GitHub in ${input.owner}/${input.repo}; push it first.`;
  } else if (/\bbase\b/i.test(said)) {
    hint = `The base branch ${input.base} does not exist in ${input.owner}/${input.repo}.`;
  }
  return new GitHubError(
    e.code,
    `GitHub would not open a pull request from ${branch} into ${input.base}: ${said}`,
    { status: e.status, details: e.details, cause: e, ...(hint ? { hint } : {}) },
  );
}

/**
 * Open the PR, or, when one is already open for the branch (a resumed or
 * re-run run, or a create whose first attempt landed before a retry), bring
 * its body up to date and return it: opening a PR must be idempotent.
 */
export async function openOrReusePullRequest(
  gh: Octokit,
  input: PullRequestInput,
): Promise<PullRequestRef> {
  const { owner, repo, base, title, body } = input;
  const branch = input.head.includes(":")
    ? input.head.slice(input.head.indexOf(":") + 1)
    : input.head;
  const label = input.head.includes(":") ? input.head : `${owner}:${input.head}`;
  try {
    const { data } = await gh.rest.pulls.create({
      owner,
      repo,
      head: input.head,
      base,
      title,
      body,
      ...(input.draft === undefined ? {} : { draft: input.draft }),
    });
    return { url: data.html_url, number: data.number, reused: false };
  } catch (e) {
    if (!isAlreadyOpen(e)) {
      throw e instanceof GitHubError && e.status === 422 ? explainRejection(e, input, branch) : e;
    }
  }
  // GitHub ignores a head filter without the "owner:" prefix and would list every open PR.
  const { data: open } = await gh.rest.pulls.list({ owner, repo, head: label, state: "open" });
  const existing = open.find((p) => p.base.ref === base) ?? open[0];
  if (!existing) {
    // Closed between GitHub's answer and our look-up; the next attempt can simply create it.
    throw new PaulError(
      "github_failed",
      `GitHub said a pull request for ${label} exists, but no open one was found`,
    );
  }
  const { data } = await gh.rest.pulls.update({
    owner,
    repo,
    pull_number: existing.number,
    body,
  });
  return { url: data.html_url, number: data.number, reused: true };
}

export interface RepoAccess {
  defaultBranch: string;
  private: boolean;
}

/** Fails with github_auth / github_not_found before any work is done for a repository Paul can't reach. */
export async function checkRepoAccess(
  gh: Octokit,
  owner: string,
  repo: string,
): Promise<RepoAccess> {
  const { data } = await gh.rest.repos.get({ owner, repo });
  return { defaultBranch: data.default_branch, private: data.private };
}
