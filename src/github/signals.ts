import { z } from "zod";

/**
 * What GitHub tells Paul about a watched PR, in one shape whether it came as
 * a webhook delivery or from a poll. Keys are the same either way, so the
 * same comment seen twice is recognised.
 */
const RepoNameSchema = z.object({ owner: z.string(), name: z.string() });
export type RepoName = z.infer<typeof RepoNameSchema>;

/** A comment a request points at; a line comment names its file and lines. */
export const CommentContextSchema = z.object({
  author: z.string(),
  body: z.string(),
  url: z.string(),
  path: z.string().optional(),
  line: z.number().int().optional(),
  startLine: z.number().int().optional(),
  diffHunk: z.string().optional(),
});
export type CommentContext = z.infer<typeof CommentContextSchema>;

/** What every signal about a PR's conversation carries. */
const onPull = {
  key: z.string(),
  repo: RepoNameSchema,
  pr: z.number().int(),
  author: z.string(),
  body: z.string(),
  url: z.string(),
};

/** Also the payload schema of the job that carries a signal (src/pipeline/watch). */
export const SignalSchema = z.discriminatedUnion("kind", [
  /** A PR conversation comment. */
  z.object({ kind: z.literal("comment"), ...onPull, commentId: z.number().int() }),
  /** A comment on a line of the diff. */
  z.object({
    kind: z.literal("review_comment"),
    ...onPull,
    commentId: z.number().int(),
    path: z.string(),
    line: z.number().int().optional(),
    startLine: z.number().int().optional(),
    diffHunk: z.string().optional(),
    inReplyTo: z.number().int().optional(),
  }),
  z.object({
    kind: z.literal("review"),
    ...onPull,
    reviewId: z.number().int(),
    state: z.enum(["changes_requested", "commented", "approved", "dismissed"]),
    comments: z.array(CommentContextSchema),
  }),
  /** Something about a commit's CI changed: look again. */
  z.object({ kind: z.literal("checks"), key: z.string(), repo: RepoNameSchema, sha: z.string() }),
]);
export type Signal = z.infer<typeof SignalSchema>;

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
