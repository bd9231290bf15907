import { z } from "zod";
import { type CommentContext, CommentContextSchema } from "../../github/signals.ts";
import { outputOf } from "../phase.ts";

/** A comment a follow-up answers: the same shape GitHub's signals carry. */
export const CommentSchema = CommentContextSchema;
export type FollowupComment = CommentContext;

/** Where a follow-up answers on GitHub: the PR, and the line comment it replies under. */
export const GithubReplySchema = z.object({
  owner: z.string(),
  repo: z.string(),
  number: z.number().int(),
  reviewCommentId: z.number().int().optional(),
});
export type GithubReply = z.infer<typeof GithubReplySchema>;

/**
 * What a follow-up was asked to do, stored on its run when it is created.
 * Everything here but `source` came from people outside Paul: the coder gets
 * it as data, delimited, and no part of it is ever run by Paul.
 */
export const FollowupRequestSchema = z.object({
  source: z.enum(["slack", "github", "cli", "ci"]),
  author: z.string(),
  text: z.string().min(1),
  comments: z.array(CommentSchema).default([]),
  /** A CI repair: the failing check and what it printed (trimmed head and tail). */
  check: z
    .object({ name: z.string(), url: z.string(), sha: z.string(), report: z.string() })
    .optional(),
  /** A CI repair's round of this PR (1-based). */
  round: z.number().int().min(1).optional(),
  /** Set when the request must be confirmed before any work (CI rounds used up). */
  confirm: z.string().optional(),
  github: GithubReplySchema.optional(),
});
export type FollowupRequest = z.infer<typeof FollowupRequestSchema>;

export const RequestOutputSchema = z.object({
  request: FollowupRequestSchema,
  /** Narrow work (a line comment, a failing check) is one task; an open request goes to the planner. */
  scope: z.enum(["narrow", "open"]),
  parentRunId: z.string(),
  branch: z.string(),
});
export type RequestOutput = z.infer<typeof RequestOutputSchema>;

export const REQUEST = outputOf("request", RequestOutputSchema);
