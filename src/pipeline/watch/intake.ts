import { claimSource, getSource } from "../../db/followups.ts";
import type { RunRow } from "../../db/runs.ts";
import { isPaulError } from "../../errors.ts";
import {
  canWrite,
  type PrRef,
  permissionOf,
  postPrComment,
  replyToReviewComment,
  reviewComments,
} from "../../github/feedback.ts";
import { type Signal, wantsWork } from "../../github/signals.ts";
import type { Deps } from "../deps.ts";
import { buildOf, startFollowup } from "../followups.ts";
import type { FollowupComment, FollowupRequest } from "../request/schema.ts";

type WorkSignal = Exclude<Signal, { kind: "checks" }>;

/** The mention asking for work is Paul's cue, not part of the request. */
function withoutMention(body: string, handle: string): string {
  return body.replace(new RegExp(`(^|[^\\w@.-])@${handle}\\b[,:]?`, "gi"), "$1").trim();
}

/**
 * A comment or review on a watched PR. Work is started only for someone with
 * write access to the repository (asked of GitHub each time: access changes),
 * and at most once per comment: the event's key is claimed in the
 * transaction that creates the follow-up, and every answer is claimed before
 * it is posted, so a redelivery or a poll that sees it again does nothing.
 */
export async function onWorkSignal(deps: Deps, buildId: string, s: WorkSignal): Promise<string> {
  const { pool, cfg } = deps;
  const handle = cfg.github.handle;
  if (!wantsWork(s, handle)) return "not for Paul";
  if (await getSource(pool, s.key)) return "already handled";
  const gh = deps.github();
  const pr: PrRef = { owner: s.repo.owner, repo: s.repo.name, number: s.pr };
  const answer = async (key: string, text: string) => {
    if (!(await claimSource(pool, { key, parentRunId: buildId, outcome: "noted" }))) return;
    const body = cfg.redact(text);
    if (s.kind === "review_comment") await replyToReviewComment(gh, pr, s.commentId, body);
    else await postPrComment(gh, pr, body);
  };
  const permission = await permissionOf(gh, pr.owner, pr.repo, s.author);
  if (!canWrite(permission)) {
    if (
      !(await claimSource(pool, {
        key: s.key,
        parentRunId: buildId,
        outcome: "refused",
        detail: `${s.author} has ${permission} access`,
      }))
    )
      return "already handled";
    await answer(
      `reply:refused:${s.key}`,
      `Thanks, @${s.author}. Paul takes requests on this pull request only from people with write access to ${pr.owner}/${pr.repo}, so it has not acted on this one. Someone with write access can ask @${handle} to pick it up.`,
    );
    return `refused: ${s.author} has ${permission} access`;
  }
  const request = await requestOf(deps, s, pr, handle);
  let build: RunRow;
  try {
    build = await buildOf(pool, buildId);
    const started = await startFollowup(pool, cfg, build.id, request, {
      origin: "github",
      requester: s.author,
      ref: s.url,
      sourceKey: s.key,
    });
    if (!started.started || !started.run) return "already handled";
    const run = started.run;
    await answer(
      `reply:started:${run.id}`,
      `On it, @${s.author}: follow-up ${run.id} is working on \`${run.branch}\`. Paul will reply here with what it pushes.`,
    );
    return `started ${run.id}`;
  } catch (e) {
    if (!isPaulError(e) || e.code !== "bad_input") throw e;
    // The build cannot take it (still running, no branch): say so once, start nothing.
    if (
      !(await claimSource(pool, {
        key: s.key,
        parentRunId: buildId,
        outcome: "refused",
        detail: e.message,
      }))
    )
      return "already handled";
    await answer(`reply:refused:${s.key}`, `${e.message}${e.hint ? ` (${e.hint})` : ""}`);
    return `refused: ${e.message}`;
  }
}

async function requestOf(
  deps: Deps,
  s: WorkSignal,
  pr: PrRef,
  handle: string,
): Promise<FollowupRequest> {
  const text = withoutMention(s.body, handle);
  const github = { owner: pr.owner, repo: pr.repo, number: pr.number };
  if (s.kind === "comment") {
    return { source: "github", author: s.author, text: text || "(no text)", comments: [], github };
  }
  if (s.kind === "review_comment") {
    const comment: FollowupComment = {
      author: s.author,
      body: text,
      url: s.url,
      path: s.path,
      ...(s.line !== undefined ? { line: s.line } : {}),
      ...(s.startLine !== undefined ? { startLine: s.startLine } : {}),
      ...(s.diffHunk !== undefined ? { diffHunk: s.diffHunk } : {}),
    };
    return {
      source: "github",
      author: s.author,
      text: text || `Address the comment on ${s.path}`,
      comments: [comment],
      github: { ...github, reviewCommentId: s.inReplyTo ?? s.commentId },
    };
  }
  // A review's line comments are not in its webhook: fetched, so the coder sees every one.
  const lines =
    s.comments.length > 0 ? s.comments : await reviewComments(deps.github(), pr, s.reviewId);
  return {
    source: "github",
    author: s.author,
    text: text || "Address the review's comments (changes requested).",
    comments: lines.map((c) => ({ ...c, body: withoutMention(c.body, handle) })),
    github,
  };
}
