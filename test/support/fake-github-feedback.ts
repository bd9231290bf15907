import { createHmac, randomUUID } from "node:crypto";

/**
 * The fake GitHub's conversation on a pull request, in GitHub's wire
 * format: issue comments, review comments and their replies, reviews, and
 * collaborator permissions. Test-side methods add comments as people would,
 * and return the webhook payload GitHub would deliver for them.
 *   GET/POST /repos/{o}/{r}/issues/{n}/comments
 *   GET      /repos/{o}/{r}/pulls/{n}/comments
 *   POST     /repos/{o}/{r}/pulls/{n}/comments/{id}/replies   (422 for a reply to a reply)
 *   GET      /repos/{o}/{r}/pulls/{n}/reviews, …/reviews/{id}/comments
 *   GET      /repos/{o}/{r}/collaborators/{user}/permission   (404 for a non-collaborator)
 */

export type Reply = {
  status: number;
  data: unknown;
  headers?: Record<string, string>;
  raw?: string;
};
export type Permission = "admin" | "maintain" | "write" | "triage" | "read";

interface StoredComment {
  id: number;
  repoKey: string;
  pr: number;
  kind: "issue" | "review";
  user: string;
  body: string;
  path?: string;
  line?: number;
  startLine?: number;
  inReplyTo?: number;
  reviewId?: number;
  createdAt: string;
}

interface StoredReview {
  id: number;
  repoKey: string;
  pr: number;
  user: string;
  state: "CHANGES_REQUESTED" | "COMMENTED" | "APPROVED";
  body: string;
  submittedAt: string;
}

export interface Delivery {
  id: number;
  event: string;
  payload: Record<string, unknown>;
}

const DOCS = "https://docs.github.com/rest";
const notFound = (): Reply => ({
  status: 404,
  data: { message: "Not Found", documentation_url: DOCS },
});
const str = (v: unknown) => (typeof v === "string" ? v : "");

export function feedbackState(host: () => string, nextId: () => number) {
  const comments: StoredComment[] = [];
  const reviews: StoredReview[] = [];
  const permissions = new Map<string, Permission>();
  const keyOf = (repoKey: string) => repoKey.toLowerCase();
  const web = (repoKey: string, pr: number) => `http://${host()}/${repoKey}/pull/${pr}`;

  const user = (login: string) => ({ login, id: login.length, type: "User" });
  const issueComment = (c: StoredComment) => ({
    id: c.id,
    body: c.body,
    user: user(c.user),
    html_url: `${web(c.repoKey, c.pr)}#issuecomment-${c.id}`,
    issue_url: `http://${host()}/repos/${c.repoKey}/issues/${c.pr}`,
    created_at: c.createdAt,
    updated_at: c.createdAt,
  });
  const reviewComment = (c: StoredComment) => ({
    id: c.id,
    body: c.body,
    user: user(c.user),
    html_url: `${web(c.repoKey, c.pr)}#discussion_r${c.id}`,
    path: c.path ?? "",
    line: c.line ?? null,
    start_line: c.startLine ?? null,
    original_line: c.line ?? null,
    diff_hunk: `@@ -1,3 +1,3 @@ ${c.path ?? ""}`,
    pull_request_review_id: c.reviewId ?? null,
    ...(c.inReplyTo !== undefined ? { in_reply_to_id: c.inReplyTo } : {}),
    created_at: c.createdAt,
  });
  const review = (r: StoredReview) => ({
    id: r.id,
    body: r.body,
    user: user(r.user),
    state: r.state,
    html_url: `${web(r.repoKey, r.pr)}#pullrequestreview-${r.id}`,
    submitted_at: r.submittedAt,
  });
  const repository = (repoKey: string) => {
    const [owner = "", name = ""] = repoKey.split("/");
    return { name, full_name: repoKey, owner: { login: owner } };
  };
  const add = (c: Omit<StoredComment, "id" | "createdAt">): StoredComment => {
    const stored = { ...c, id: nextId(), createdAt: new Date().toISOString() };
    comments.push(stored);
    return stored;
  };

  /** The endpoints, or undefined for a path that is not theirs. */
  function handle(method: string, path: string, repoKey: string, body: unknown): Reply | undefined {
    const input = typeof body === "object" && body !== null ? body : {};
    const text = "body" in input ? str(input.body) : "";
    const mine = (c: { repoKey: string; pr: number }, pr: number) =>
      keyOf(c.repoKey) === keyOf(repoKey) && c.pr === pr;
    let m = /^\/issues\/(\d+)\/comments$/.exec(path);
    if (m) {
      const pr = Number(m[1]);
      if (method === "GET")
        return {
          status: 200,
          data: comments.filter((c) => c.kind === "issue" && mine(c, pr)).map(issueComment),
        };
      if (method === "POST") {
        if (!text) return invalid("body", "missing_field");
        return {
          status: 201,
          data: issueComment(add({ repoKey, pr, kind: "issue", user: "paul-bot", body: text })),
        };
      }
    }
    m = /^\/pulls\/(\d+)\/comments$/.exec(path);
    if (m && method === "GET") {
      const pr = Number(m[1]);
      return {
        status: 200,
        data: comments.filter((c) => c.kind === "review" && mine(c, pr)).map(reviewComment),
      };
    }
    m = /^\/pulls\/(\d+)\/comments\/(\d+)\/replies$/.exec(path);
    if (m && method === "POST") {
      const pr = Number(m[1]);
      const to = comments.find(
        (c) => c.id === Number(m?.[2]) && c.kind === "review" && mine(c, pr),
      );
      if (!to) return notFound();
      // GitHub threads replies under the first comment only.
      if (to.inReplyTo !== undefined) return invalid("in_reply_to", "invalid");
      if (!text) return invalid("body", "missing_field");
      const reply = add({
        repoKey,
        pr,
        kind: "review",
        user: "paul-bot",
        body: text,
        inReplyTo: to.id,
        ...(to.path ? { path: to.path } : {}),
        ...(to.line !== undefined ? { line: to.line } : {}),
      });
      return { status: 201, data: reviewComment(reply) };
    }
    m = /^\/pulls\/(\d+)\/reviews$/.exec(path);
    if (m && method === "GET") {
      const pr = Number(m[1]);
      return { status: 200, data: reviews.filter((r) => mine(r, pr)).map(review) };
    }
    m = /^\/pulls\/(\d+)\/reviews\/(\d+)\/comments$/.exec(path);
    if (m && method === "GET") {
      const id = Number(m[2]);
      return { status: 200, data: comments.filter((c) => c.reviewId === id).map(reviewComment) };
    }
    m = /^\/collaborators\/([^/]+)\/permission$/.exec(path);
    if (m && method === "GET") {
      const login = decodeURIComponent(m[1] ?? "");
      const p = permissions.get(`${keyOf(repoKey)}:${login.toLowerCase()}`);
      if (!p)
        return {
          status: 404,
          data: { message: `${login} is not a user`, documentation_url: DOCS },
        };
      const folded = p === "maintain" ? "write" : p === "triage" ? "read" : p;
      return { status: 200, data: { permission: folded, role_name: p, user: user(login) } };
    }
    return undefined;
  }

  return {
    handle,
    setPermission(repoKey: string, login: string, p: Permission) {
      permissions.set(`${keyOf(repoKey)}:${login.toLowerCase()}`, p);
    },
    addComment(repoKey: string, pr: number, c: { user: string; body: string }): Delivery {
      const stored = add({ repoKey, pr, kind: "issue", user: c.user, body: c.body });
      return {
        id: stored.id,
        event: "issue_comment",
        payload: {
          action: "created",
          issue: {
            number: pr,
            pull_request: { url: `http://${host()}/repos/${repoKey}/pulls/${pr}` },
          },
          comment: issueComment(stored),
          repository: repository(repoKey),
          sender: user(c.user),
        },
      };
    },
    addReviewComment(
      repoKey: string,
      pr: number,
      c: { user: string; body: string; path: string; line: number; startLine?: number },
    ): Delivery {
      const stored = add({ repoKey, pr, kind: "review", ...c });
      return {
        id: stored.id,
        event: "pull_request_review_comment",
        payload: {
          action: "created",
          pull_request: { number: pr },
          comment: reviewComment(stored),
          repository: repository(repoKey),
          sender: user(c.user),
        },
      };
    },
    addReview(
      repoKey: string,
      pr: number,
      r: {
        user: string;
        state: StoredReview["state"];
        body: string;
        comments?: { body: string; path: string; line: number }[];
      },
    ): Delivery {
      const stored: StoredReview = {
        id: nextId(),
        repoKey,
        pr,
        user: r.user,
        state: r.state,
        body: r.body,
        submittedAt: new Date().toISOString(),
      };
      reviews.push(stored);
      for (const c of r.comments ?? [])
        add({ repoKey, pr, kind: "review", user: r.user, ...c, reviewId: stored.id });
      return {
        id: stored.id,
        event: "pull_request_review",
        payload: {
          action: "submitted",
          pull_request: { number: pr },
          review: { ...review(stored), state: stored.state.toLowerCase() },
          repository: repository(repoKey),
          sender: user(r.user),
        },
      };
    },
    /** What Paul wrote on a PR: issue comments and review replies, oldest first. */
    comments(
      repoKey: string,
      pr: number,
    ): { kind: "issue" | "review"; body: string; inReplyTo?: number }[] {
      return comments
        .filter((c) => keyOf(c.repoKey) === keyOf(repoKey) && c.pr === pr && c.user === "paul-bot")
        .map((c) => ({
          kind: c.kind,
          body: c.body,
          ...(c.inReplyTo !== undefined ? { inReplyTo: c.inReplyTo } : {}),
        }));
    },
  };
}

function invalid(field: string, code: string): Reply {
  return {
    status: 422,
    data: {
      message: "Validation Failed",
      errors: [{ resource: "Comment", field, code }],
      documentation_url: DOCS,
    },
  };
}

/** POST a webhook delivery as GitHub does: signed with the secret (HMAC-SHA256 of the raw body). */
export async function deliver(
  target: string,
  event: string,
  payload: unknown,
  o: { secret?: string; deliveryId?: string; signature?: string } = {},
): Promise<{ status: number; body: string }> {
  const raw = JSON.stringify(payload);
  const signature =
    o.signature ??
    (o.secret ? `sha256=${createHmac("sha256", o.secret).update(raw).digest("hex")}` : undefined);
  const res = await fetch(target, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/fake",
      "x-github-event": event,
      "x-github-delivery": o.deliveryId ?? randomUUID(),
      ...(signature ? { "x-hub-signature-256": signature } : {}),
    },
    body: raw,
  });
  return { status: res.status, body: await res.text() };
}
