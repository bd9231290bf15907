import type { IncomingMessage, ServerResponse } from "node:http";
import { Webhooks } from "@octokit/webhooks";
import { z } from "zod";
import {
  checksKey,
  commentKey,
  PAUL_MARKER,
  reviewCommentKey,
  reviewKey,
  type Signal,
} from "./signals.ts";

export const GITHUB_EVENTS_PATH = "/github/events";
const MAX_BODY = 25 * 1024 * 1024;

const User = z.object({ login: z.string() });
const Repository = z.object({ name: z.string(), owner: z.object({ login: z.string() }) });

const IssueComment = z.object({
  action: z.string(),
  issue: z.object({ number: z.number().int(), pull_request: z.object({}).loose().optional() }),
  comment: z.object({
    id: z.number().int(),
    body: z.string().nullable(),
    html_url: z.string(),
    user: User,
  }),
  repository: Repository,
});
const ReviewComment = z.object({
  action: z.string(),
  pull_request: z.object({ number: z.number().int() }),
  comment: z.object({
    id: z.number().int(),
    body: z.string(),
    html_url: z.string(),
    user: User,
    path: z.string(),
    line: z.number().int().nullable().optional(),
    start_line: z.number().int().nullable().optional(),
    diff_hunk: z.string().optional(),
    in_reply_to_id: z.number().int().optional(),
  }),
  repository: Repository,
});
const Review = z.object({
  action: z.string(),
  pull_request: z.object({ number: z.number().int() }),
  review: z.object({
    id: z.number().int(),
    body: z.string().nullable(),
    html_url: z.string(),
    user: User,
    state: z.string(),
  }),
  repository: Repository,
});
const CheckRun = z.object({
  action: z.string(),
  check_run: z.object({ head_sha: z.string() }),
  repository: Repository,
});
const CheckSuite = z.object({
  action: z.string(),
  check_suite: z.object({ head_sha: z.string() }),
  repository: Repository,
});
const Status = z.object({ sha: z.string(), repository: Repository });

const repoOf = (r: z.infer<typeof Repository>) => ({ owner: r.owner.login, name: r.name });
const REVIEW_STATES = ["changes_requested", "commented", "approved", "dismissed"] as const;

/**
 * A delivery as a Signal: undefined when Paul has nothing to do with it (an
 * other event or action, a comment on an issue, Paul's own words), "invalid"
 * when its payload is not what GitHub sends for that event.
 */
export function parseDelivery(event: string, payload: unknown): Signal | undefined | "invalid" {
  const parse = <T>(schema: z.ZodType<T>): T | "invalid" => {
    const r = schema.safeParse(payload);
    return r.success ? r.data : "invalid";
  };
  switch (event) {
    case "issue_comment": {
      const p = parse(IssueComment);
      if (p === "invalid") return p;
      const body = p.comment.body ?? "";
      if (p.action !== "created" || !p.issue.pull_request || body.includes(PAUL_MARKER))
        return undefined;
      return {
        kind: "comment",
        key: commentKey(p.comment.id),
        repo: repoOf(p.repository),
        pr: p.issue.number,
        commentId: p.comment.id,
        author: p.comment.user.login,
        body,
        url: p.comment.html_url,
      };
    }
    case "pull_request_review_comment": {
      const p = parse(ReviewComment);
      if (p === "invalid") return p;
      const c = p.comment;
      if (p.action !== "created" || c.body.includes(PAUL_MARKER)) return undefined;
      return {
        kind: "review_comment",
        key: reviewCommentKey(c.id),
        repo: repoOf(p.repository),
        pr: p.pull_request.number,
        commentId: c.id,
        author: c.user.login,
        body: c.body,
        url: c.html_url,
        path: c.path,
        ...(typeof c.line === "number" ? { line: c.line } : {}),
        ...(typeof c.start_line === "number" ? { startLine: c.start_line } : {}),
        ...(c.diff_hunk ? { diffHunk: c.diff_hunk } : {}),
        ...(c.in_reply_to_id !== undefined ? { inReplyTo: c.in_reply_to_id } : {}),
      };
    }
    case "pull_request_review": {
      const p = parse(Review);
      if (p === "invalid") return p;
      const r = p.review;
      const state = REVIEW_STATES.find((s) => s === r.state.toLowerCase());
      if (p.action !== "submitted" || !state || (r.body ?? "").includes(PAUL_MARKER))
        return undefined;
      return {
        kind: "review",
        key: reviewKey(r.id),
        repo: repoOf(p.repository),
        pr: p.pull_request.number,
        reviewId: r.id,
        author: r.user.login,
        body: r.body ?? "",
        state,
        url: r.html_url,
        comments: [],
      };
    }
    case "check_run":
    case "check_suite": {
      const p = event === "check_run" ? parse(CheckRun) : parse(CheckSuite);
      if (p === "invalid") return p;
      if (p.action !== "completed") return undefined;
      const sha = "check_run" in p ? p.check_run.head_sha : p.check_suite.head_sha;
      return { kind: "checks", key: checksKey(sha), repo: repoOf(p.repository), sha };
    }
    case "status": {
      const p = parse(Status);
      if (p === "invalid") return p;
      return { kind: "checks", key: checksKey(p.sha), repo: repoOf(p.repository), sha: p.sha };
    }
    default:
      return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return typeof v === "string" ? v : undefined;
};

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain" });
  res.end(body);
}

/**
 * GitHub's webhook deliveries, as a route of `paul serve`'s HTTP server (a
 * Bolt custom route). Nothing is read from a delivery before its signature
 * checks out against the secret; a missing or wrong one is 401. A delivery
 * that Paul could not take (the database away) answers 503, so it can be
 * redelivered; everything else 202: the work is queued, not done here.
 */
export function githubWebhookRoute(o: {
  secret: string;
  onSignal: (s: Signal, delivery: { id: string; event: string }) => Promise<void>;
  log: (line: string) => void;
}) {
  const webhooks = new Webhooks({ secret: o.secret });
  return {
    path: GITHUB_EVENTS_PATH,
    method: "POST",
    handler: (req: IncomingMessage, res: ServerResponse): void => {
      void handle(req, res).catch((e: unknown) => {
        o.log(`github: a webhook delivery failed: ${e instanceof Error ? e.message : String(e)}`);
        if (!res.headersSent) answer(res, 503, "try again");
      });
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const signature = header(req, "x-hub-signature-256");
    if (!signature || !(await webhooks.verify(raw, signature).catch(() => false))) {
      answer(res, 401, "bad signature");
      return;
    }
    const event = header(req, "x-github-event") ?? "";
    const id = header(req, "x-github-delivery") ?? "";
    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      answer(res, 400, "the body is not JSON");
      return;
    }
    const signal = parseDelivery(event, payload);
    if (signal === "invalid") {
      answer(res, 400, `not a ${event} payload`);
      return;
    }
    if (!signal) {
      answer(res, 202, "ignored");
      return;
    }
    await o.onSignal(signal, { id, event });
    answer(res, 202, "queued");
  }
}
