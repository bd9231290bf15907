/**
 * What GitHub tells Paul about a watched PR, in one shape whether it came as
 * a webhook delivery or from a poll. Keys are the same either way, so the
 * same comment seen twice is recognised.
 */
export interface RepoName {
  owner: string;
  name: string;
}

export interface CommentContext {
  author: string;
  body: string;
  url: string;
  path?: string;
  line?: number;
  startLine?: number;
  diffHunk?: string;
}

export type Signal =
  /** A PR conversation comment. */
  | {
      kind: "comment";
      key: string;
      repo: RepoName;
      pr: number;
      commentId: number;
      author: string;
      body: string;
      url: string;
    }
  /** A comment on a line of the diff. */
  | {
      kind: "review_comment";
      key: string;
      repo: RepoName;
      pr: number;
      commentId: number;
      author: string;
      body: string;
      url: string;
      path: string;
      line?: number;
      startLine?: number;
      diffHunk?: string;
      inReplyTo?: number;
    }
  | {
      kind: "review";
      key: string;
      repo: RepoName;
      pr: number;
      reviewId: number;
      author: string;
      body: string;
      state: "changes_requested" | "commented" | "approved" | "dismissed";
      url: string;
      comments: CommentContext[];
    }
  /** Something about a commit's CI changed: look again. */
  | { kind: "checks"; key: string; repo: RepoName; sha: string };

/** Appended to everything Paul writes on GitHub, so it never takes its own words for a request. */
export const PAUL_MARKER = "<!-- paul -->";

export const commentKey = (id: number) => `gh:comment:${id}`;
export const reviewCommentKey = (id: number) => `gh:review-comment:${id}`;
export const reviewKey = (id: number) => `gh:review:${id}`;
export const checksKey = (sha: string) => `gh:checks:${sha}`;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `@handle` as a mention of its own: not part of an e-mail address or of a longer login. */
export function mentions(body: string, handle: string): boolean {
  return new RegExp(`(^|[^\\w@.\\-/])@${escapeRegExp(handle)}(?![\\w-])`, "i").test(body);
}

/** Whether the signal asks Paul for work: a mention, or a review requesting changes. */
export function wantsWork(s: Signal, handle: string): boolean {
  if (s.kind === "checks") return false;
  if (s.body.includes(PAUL_MARKER)) return false;
  if (s.kind === "review" && s.state === "changes_requested") return true;
  return mentions(s.body, handle);
}
