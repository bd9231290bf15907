import type { Octokit } from "@octokit/rest";
import { GitHubError } from "./errors.ts";
import { type PrRef, type PullState, pullState } from "./feedback.ts";
import {
  checksKey,
  commentKey,
  PAUL_MARKER,
  reviewCommentKey,
  reviewKey,
  type Signal,
} from "./signals.ts";

/** Request path → the ETag of its last answer. */
export type Etags = Record<string, string>;

export interface PollResult {
  signals: Signal[];
  etags: Etags;
  requests: number;
  notModified: number;
  rate?: { remaining: number; resetAt: number };
  /** Undefined when the pull itself had not changed (304). */
  pull?: PullState;
}

type Got = { data: unknown; headers: Record<string, string | number | undefined> } | "not modified";

const REVIEW_STATES = ["changes_requested", "commented", "approved", "dismissed"] as const;
/** REST spells review states in capitals, webhooks in lower case. */
const reviewState = (s: string) => REVIEW_STATES.find((x) => x === s.toLowerCase());

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const str = (v: unknown) => (typeof v === "string" ? v : "");
const num = (v: unknown) => (typeof v === "number" ? v : undefined);
const login = (v: unknown) => (isObject(v) ? str(v.login) : "") || "someone";

/**
 * One look at a PR with conditional requests: each GET carries the ETag of
 * its last answer, and a 304 (nothing new) costs no rate limit. Every
 * comment and review on a changed list comes back as a signal; the consumer
 * knows by their keys which it has seen. The head commit's checks are
 * always signalled: CI changes without the PR changing.
 */
export async function pollPull(
  gh: Octokit,
  pr: PrRef,
  etags: Etags,
  lastHead?: string,
): Promise<PollResult> {
  const next: Etags = { ...etags };
  const out: PollResult = { signals: [], etags: next, requests: 0, notModified: 0 };
  const repo = { owner: pr.owner, name: pr.repo };
  const base = `/repos/${pr.owner}/${pr.repo}`;
  async function get(path: string): Promise<Got> {
    out.requests++;
    const etag = next[path];
    try {
      const res = await gh.request(`GET ${path}`, {
        headers: etag ? { "if-none-match": etag } : {},
      });
      const headers = res.headers;
      if (typeof headers.etag === "string") next[path] = headers.etag;
      const remaining = Number(headers["x-ratelimit-remaining"]);
      const reset = Number(headers["x-ratelimit-reset"]);
      if (Number.isFinite(remaining) && Number.isFinite(reset)) {
        out.rate = { remaining, resetAt: reset * 1000 };
      }
      return { data: res.data, headers };
    } catch (e) {
      if (e instanceof GitHubError && e.status === 304) {
        out.notModified++;
        return "not modified";
      }
      throw e;
    }
  }
  const pull = await get(`${base}/pulls/${pr.number}`);
  if (pull !== "not modified" && isObject(pull.data)) {
    const d = pull.data;
    const head = isObject(d.head) ? d.head : {};
    const baseRef = isObject(d.base) ? d.base : {};
    out.pull = pullState({
      state: str(d.state),
      merged: d.merged === true,
      head: { sha: str(head.sha), ref: str(head.ref) },
      base: { ref: str(baseRef.ref) },
      body: str(d.body),
      html_url: str(d.html_url),
    });
  }
  const list = async (path: string) => {
    const got = await get(`${path}?per_page=100`);
    return got === "not modified" || !Array.isArray(got.data) ? [] : got.data.filter(isObject);
  };
  for (const c of await list(`${base}/issues/${pr.number}/comments`)) {
    const id = num(c.id);
    if (id === undefined || str(c.body).includes(PAUL_MARKER)) continue;
    out.signals.push({
      kind: "comment",
      key: commentKey(id),
      repo,
      pr: pr.number,
      commentId: id,
      author: login(c.user),
      body: str(c.body),
      url: str(c.html_url),
    });
  }
  for (const c of await list(`${base}/pulls/${pr.number}/comments`)) {
    const id = num(c.id);
    if (id === undefined || str(c.body).includes(PAUL_MARKER)) continue;
    const line = num(c.line);
    const start = num(c.start_line);
    const reply = num(c.in_reply_to_id);
    out.signals.push({
      kind: "review_comment",
      key: reviewCommentKey(id),
      repo,
      pr: pr.number,
      commentId: id,
      author: login(c.user),
      body: str(c.body),
      url: str(c.html_url),
      path: str(c.path),
      ...(line !== undefined ? { line } : {}),
      ...(start !== undefined ? { startLine: start } : {}),
      ...(str(c.diff_hunk) ? { diffHunk: str(c.diff_hunk) } : {}),
      ...(reply !== undefined ? { inReplyTo: reply } : {}),
    });
  }
  for (const r of await list(`${base}/pulls/${pr.number}/reviews`)) {
    const id = num(r.id);
    const state = reviewState(str(r.state));
    if (id === undefined || !state || str(r.body).includes(PAUL_MARKER)) continue;
    out.signals.push({
      kind: "review",
      key: reviewKey(id),
      repo,
      pr: pr.number,
      reviewId: id,
      author: login(r.user),
      body: str(r.body),
      state,
      url: str(r.html_url),
      comments: [],
    });
  }
  const sha = out.pull?.headSha || lastHead;
  if (sha) out.signals.push({ kind: "checks", key: checksKey(sha), repo, sha });
  return out;
}

/**
 * The wait before the next poll of one PR: the base interval, stretched so
 * that every watched PR's requests (about five each) fit in what the rate
 * limit has left before it resets; when little is left, until the reset.
 */
export function nextPollDelayMs(
  baseMs: number,
  rate: { remaining: number; resetAt: number } | undefined,
  watched: number,
  now = Date.now(),
): number {
  if (!rate) return baseMs;
  const untilReset = Math.max(0, rate.resetAt - now);
  if (rate.remaining < 50) return Math.max(baseMs, untilReset);
  const polls = rate.remaining / (5 * Math.max(1, watched));
  return Math.max(baseMs, Math.ceil(untilReset / polls));
}
