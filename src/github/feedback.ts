import type { Octokit } from "@octokit/rest";
import { GitHubError } from "./errors.ts";
import { type CommentContext, PAUL_MARKER } from "./signals.ts";

/*
 * The REST calls of the work after a PR opens: who may ask, answering on the
 * PR, and the PR itself. Every call goes through the Octokit of client.ts,
 * so it is bounded, retried on 5xx/429 and fails as a GitHubError.
 */

export interface PrRef {
  owner: string;
  repo: string;
  number: number;
}

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";
const PERMISSIONS: readonly Permission[] = ["admin", "maintain", "write", "triage", "read", "none"];
const asPermission = (v: unknown): Permission | undefined => PERMISSIONS.find((p) => p === v);

/** A user's access to a repository; someone GitHub does not know as a collaborator has none. */
export async function permissionOf(
  gh: Octokit,
  owner: string,
  repo: string,
  user: string,
): Promise<Permission> {
  try {
    const { data } = await gh.request(
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
      {
        owner,
        repo,
        username: user,
      },
    );
    // role_name says maintain/triage, which `permission` folds into write/read.
    return asPermission(data.role_name) ?? asPermission(data.permission) ?? "none";
  } catch (e) {
    if (e instanceof GitHubError && e.status === 404) return "none";
    throw e;
  }
}

export function canWrite(p: Permission): boolean {
  return p === "admin" || p === "maintain" || p === "write";
}

const signed = (body: string) => `${body}\n\n${PAUL_MARKER}`;

export async function postPrComment(
  gh: Octokit,
  pr: PrRef,
  body: string,
): Promise<{ id: number; url: string }> {
  const { data } = await gh.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
    owner: pr.owner,
    repo: pr.repo,
    issue_number: pr.number,
    body: signed(body),
  });
  return { id: Number(data.id), url: data.html_url };
}

/** A reply in a line comment's thread (`commentId` must be the thread's first comment). */
export async function replyToReviewComment(
  gh: Octokit,
  pr: PrRef,
  commentId: number,
  body: string,
): Promise<{ id: number; url: string }> {
  const { data } = await gh.request(
    "POST /repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies",
    {
      owner: pr.owner,
      repo: pr.repo,
      pull_number: pr.number,
      comment_id: commentId,
      body: signed(body),
    },
  );
  return { id: Number(data.id), url: data.html_url };
}

export interface PullState {
  state: "open" | "closed";
  merged: boolean;
  headSha: string;
  headRef: string;
  baseRef: string;
  body: string;
  url: string;
}

export async function getPull(gh: Octokit, pr: PrRef): Promise<PullState> {
  const { data } = await gh.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
    owner: pr.owner,
    repo: pr.repo,
    pull_number: pr.number,
  });
  return pullState(data);
}

export function pullState(data: {
  state: string;
  merged?: boolean | null;
  head: { sha: string; ref: string };
  base: { ref: string };
  body?: string | null;
  html_url: string;
}): PullState {
  return {
    state: data.state === "open" ? "open" : "closed",
    merged: data.merged === true,
    headSha: data.head.sha,
    headRef: data.head.ref,
    baseRef: data.base.ref,
    body: data.body ?? "",
    url: data.html_url,
  };
}

export async function updatePullBody(gh: Octokit, pr: PrRef, body: string): Promise<void> {
  await gh.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
    owner: pr.owner,
    repo: pr.repo,
    pull_number: pr.number,
    body,
  });
}

export interface ReviewCommentData {
  user: { login: string } | null;
  body: string;
  html_url: string;
  path: string;
  line?: number | null;
  start_line?: number | null;
  diff_hunk?: string;
}

export function commentContext(c: ReviewCommentData): CommentContext {
  return {
    author: c.user?.login ?? "someone",
    body: c.body,
    url: c.html_url,
    path: c.path,
    ...(typeof c.line === "number" ? { line: c.line } : {}),
    ...(typeof c.start_line === "number" ? { startLine: c.start_line } : {}),
    ...(c.diff_hunk ? { diffHunk: c.diff_hunk } : {}),
  };
}

/** A review's line comments: not in its webhook, so fetched. */
export async function reviewComments(
  gh: Octokit,
  pr: PrRef,
  reviewId: number,
): Promise<CommentContext[]> {
  const data = await gh.paginate(
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments",
    { owner: pr.owner, repo: pr.repo, pull_number: pr.number, review_id: reviewId, per_page: 100 },
  );
  return data.map((c) => commentContext(c));
}

export * from "./checks.ts";
