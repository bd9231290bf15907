import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { branchEndpoint } from "./fake-github-branches.ts";
import { type CiScript, checksState } from "./fake-github-checks.ts";
import { type Delivery, deliver, feedbackState, type Permission } from "./fake-github-feedback.ts";

export type { CiScript, FakeCheck } from "./fake-github-checks.ts";
export type { Delivery } from "./fake-github-feedback.ts";

/**
 * GitHub's REST API for the endpoints Paul uses, over real HTTP, enforcing
 * what GitHub enforces: token auth, a User-Agent, a supported API version,
 * branches that exist in the remote, one open PR per head and base, and
 * GitHub's own error bodies.
 */

export interface FakeRepo {
  /** The bare repository that stands for the GitHub remote. */
  bare: string;
  defaultBranch: string;
  private?: boolean;
}

export interface FakeGitHubOptions {
  token: string;
  /** Keyed "owner/name". */
  repos: Record<string, FakeRepo>;
  /** The checks each commit gets (none without it). */
  ci?: CiScript;
}

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  status: number;
}

/** A pull request as GitHub returns it (the fields Paul reads, and what identifies it). */
export interface FakePull {
  number: number;
  url: string;
  html_url: string;
  state: "open" | "closed";
  title: string;
  body: string;
  draft: boolean;
  head: { label: string; ref: string; sha: string };
  base: { label: string; ref: string; repo: { full_name: string } };
}

export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  pulls: FakePull[];
  /** The next `count` requests answer `status` (with `headers`) before anything else is checked. */
  failNext(status: number, count?: number, headers?: Record<string, string>): void;
  setPermission(repoKey: string, user: string, p: Permission): void;
  addComment(repoKey: string, pr: number, c: { user: string; body: string }): Delivery;
  addReviewComment(
    repoKey: string,
    pr: number,
    c: { user: string; body: string; path: string; line: number; startLine?: number },
  ): Delivery;
  addReview(
    repoKey: string,
    pr: number,
    r: {
      user: string;
      state: "CHANGES_REQUESTED" | "COMMENTED" | "APPROVED";
      body: string;
      comments?: { body: string; path: string; line: number }[];
    },
  ): Delivery;
  /** What Paul wrote on a PR (issue comments and review replies), oldest first. */
  comments(
    repoKey: string,
    pr: number,
  ): { kind: "issue" | "review"; body: string; inReplyTo?: number }[];
  /** Checks re-run through the API. */
  reruns: { name: string; sha: string }[];
  /** The rate limit left; each answered request but a 304 uses one. */
  setRateRemaining(n: number): void;
  rateRemaining(): number;
  /** A webhook delivery to `target`, signed with `secret` as GitHub signs it. */
  deliver: typeof deliver;
  close(): Promise<void>;
}

const DOCS = "https://docs.github.com/rest";
const API_VERSIONS = new Set(["2022-11-28", "2026-03-10"]);
const run = promisify(execFile);

/** stdout of a git command against the bare remote, or undefined when git fails. */
async function git(bare: string, ...args: string[]): Promise<string | undefined> {
  try {
    return (await run("git", ["--git-dir", bare, ...args])).stdout.trim();
  } catch {
    return undefined;
  }
}

type Reply = { status: number; data: unknown; headers?: Record<string, string>; raw?: string };
type Repo = FakeRepo & { key: string; owner: string; name: string };

const fail = (status: number, message: string, extra: Record<string, unknown> = {}): Reply => ({
  status,
  data: { message, ...extra, documentation_url: DOCS },
});
const invalid = (error: Record<string, string>) =>
  fail(422, "Validation Failed", { errors: [{ resource: "PullRequest", ...error }] });
const asRecord = (v: unknown) =>
  (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
const same = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase();

export async function startFakeGitHub(opts: FakeGitHubOptions): Promise<FakeGitHub> {
  const requests: RecordedRequest[] = [];
  const pulls: FakePull[] = [];
  const failures: { status: number; headers: Record<string, string> }[] = [];
  let host = "";
  let ids = 1000;
  let rate = 5000;
  const nextId = () => ++ids;
  const feedback = feedbackState(() => host, nextId);
  const checks = checksState({
    host: () => host,
    nextId,
    ci: opts.ci,
    resolve: async (repoKey, ref) => {
      const repo = opts.repos[repoKey];
      if (!repo) return undefined;
      if (/^[0-9a-f]{40}$/.test(ref)) return ref;
      return git(repo.bare, "rev-parse", "--verify", `refs/heads/${ref}^{commit}`);
    },
    bareOf: (repoKey) => opts.repos[repoKey]?.bare ?? "",
  });

  // GitHub matches owner/name case-insensitively.
  const findRepo = (owner: string, name: string): Repo | undefined => {
    const key = Object.keys(opts.repos).find((k) => same(k, `${owner}/${name}`));
    const [o, n] = key?.split("/") ?? [];
    return key && o && n ? { key, owner: o, name: n, ...opts.repos[key]! } : undefined;
  };

  function listPulls(repo: Repo, q: URLSearchParams): Reply {
    const state = q.get("state") ?? "open";
    const head = q.get("head") ?? "";
    // GitHub applies a head filter only in "user:ref" form and silently ignores any other.
    const [user, ref] = head.includes(":") ? head.split(":", 2) : [];
    const list = pulls
      .filter((p) => p.base.repo.full_name === repo.key && (state === "all" || p.state === state))
      .filter((p) => !ref || (same(user, repo.owner) && p.head.ref === ref))
      .sort((a, b) => b.number - a.number);
    return { status: 200, data: list };
  }

  async function createPull(repo: Repo, input: Record<string, unknown>): Promise<Reply> {
    const str = (k: string) => (typeof input[k] === "string" ? (input[k] as string) : "");
    for (const field of ["title", "head", "base"]) {
      if (!str(field)) return invalid({ field, code: "missing_field" });
    }
    const base = str("base");
    let head = str("head");
    if (head.includes(":")) {
      // Forks are not modelled: a head in another owner's repository does not exist here.
      const [user, ref] = head.split(":", 2);
      if (!same(user, repo.owner) || !ref) return invalid({ field: "head", code: "invalid" });
      head = ref;
    }
    const sha = (branch: string) => git(repo.bare, "rev-parse", "--verify", `refs/heads/${branch}`);
    if (!(await sha(base))) return invalid({ field: "base", code: "invalid" });
    const headSha = await sha(head);
    if (!headSha) return invalid({ field: "head", code: "invalid" });
    const mine = pulls.filter((p) => p.base.repo.full_name === repo.key);
    if (mine.some((p) => p.state === "open" && p.head.ref === head && p.base.ref === base)) {
      const message = `A pull request already exists for ${repo.owner}:${head}.`;
      return invalid({ code: "custom", message });
    }
    const range = `refs/heads/${base}..refs/heads/${head}`;
    if (head === base || (await git(repo.bare, "rev-list", "--count", range)) === "0") {
      return invalid({ code: "custom", message: `No commits between ${base} and ${head}` });
    }
    // Numbers are per repository on GitHub.
    const number = mine.length + 1;
    const pull: FakePull = {
      number,
      url: `http://${host}/repos/${repo.key}/pulls/${number}`,
      html_url: `http://${host}/${repo.key}/pull/${number}`,
      state: "open",
      title: str("title"),
      body: str("body"),
      draft: input.draft === true,
      head: { label: `${repo.owner}:${head}`, ref: head, sha: headSha },
      base: { label: `${repo.owner}:${base}`, ref: base, repo: { full_name: repo.key } },
    };
    pulls.push(pull);
    return { status: 201, data: pull, headers: { location: pull.url } };
  }

  function updatePull(repo: Repo, n: number, input: Record<string, unknown>): Reply {
    const pull = pulls.find((p) => p.base.repo.full_name === repo.key && p.number === n);
    if (!pull) return fail(404, "Not Found");
    const { title, body, state } = input;
    if (typeof title === "string") pull.title = title;
    if (typeof body === "string") pull.body = body;
    if (state === "open" || state === "closed") pull.state = state;
    return { status: 200, data: pull };
  }

  /** A pull as GitHub shows it now: its head is the branch's current commit in the remote. */
  async function getPull(repo: Repo, n: number): Promise<Reply> {
    const pull = pulls.find((p) => p.base.repo.full_name === repo.key && p.number === n);
    if (!pull) return fail(404, "Not Found");
    const sha = await git(repo.bare, "rev-parse", "--verify", `refs/heads/${pull.head.ref}`);
    if (sha) pull.head.sha = sha;
    return { status: 200, data: { ...pull, merged: false } };
  }

  async function handle(req: IncomingMessage, body: unknown, badJson: boolean): Promise<Reply> {
    const logged = checks.log(new URL(req.url ?? "/", `http://${host}`).pathname);
    if (logged) return logged;
    const failure = failures.shift();
    if (failure) {
      const limited = failure.status === 429 || failure.status === 403;
      const message = limited ? "API rate limit exceeded" : "Server Error";
      return { ...fail(failure.status, message), headers: failure.headers };
    }
    if (!req.headers["user-agent"]) {
      return fail(403, "Request forbidden by administrative rules. Please add a User-Agent header");
    }
    const version = req.headers["x-github-api-version"];
    if (typeof version === "string" && !API_VERSIONS.has(version)) {
      return fail(400, `API version ${version} is not supported.`);
    }
    const auth = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? "");
    if (auth?.[1] !== opts.token) return fail(401, "Bad credentials");
    if (badJson) return fail(400, "Problems parsing JSON");

    const url = new URL(req.url ?? "/", `http://${host}`);
    const branches = await branchEndpoint(req.method, url, host, findRepo);
    if (branches) return branches;
    const sub = /^\/repos\/([^/]+)\/([^/]+)(\/.+)$/.exec(url.pathname);
    const subRepo = sub
      ? findRepo(decodeURIComponent(sub[1] ?? ""), decodeURIComponent(sub[2] ?? ""))
      : undefined;
    if (sub && subRepo) {
      const method = req.method ?? "GET";
      const path = (sub[3] ?? "").replace(/\/+$/, "");
      const found =
        feedback.handle(method, path, subRepo.key, body) ??
        (await checks.handle(method, path, subRepo.key));
      if (found) return found;
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/pulls(?:\/(\d+))?)?\/?$/.exec(url.pathname);
    const repo = m ? findRepo(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)) : undefined;
    if (!m || !repo) return fail(404, "Not Found");
    const route = `${req.method} ${m[4] ? "pull" : m[3] ? "pulls" : "repo"}`;
    if (route === "GET pulls") return listPulls(repo, url.searchParams);
    if (route === "POST pulls") return createPull(repo, asRecord(body));
    if (route === "PATCH pull") return updatePull(repo, Number(m[4]), asRecord(body));
    if (route === "GET pull") return getPull(repo, Number(m[4]));
    if (route !== "GET repo") return fail(404, "Not Found");
    const { key: full_name, owner, name, defaultBranch: default_branch } = repo;
    return {
      status: 200,
      data: {
        id: 1,
        name,
        full_name,
        owner: { login: owner },
        private: repo.private ?? false,
        default_branch,
        html_url: `http://${host}/${full_name}`,
        permissions: { admin: false, push: true, pull: true },
      },
    };
  }

  const server = createServer(async (req, res) => {
    let raw = "";
    // Decoding per chunk would split multi-byte characters; setEncoding decodes across chunks.
    req.setEncoding("utf8");
    for await (const chunk of req) raw += chunk;
    let body: unknown = raw || undefined;
    let badJson = false;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      badJson = true;
    }
    const { method = "", url: path = "", headers } = req;
    const entry: RecordedRequest = { method, path, headers, body, status: 0 };
    requests.push(entry);
    const r = await handle(req, body, badJson).catch((e: unknown) => fail(500, `fake: ${e}`));
    const text = r.raw ?? JSON.stringify(r.data);
    // GitHub's conditional requests: a strong ETag on every GET, and a 304 (no body,
    // no rate limit used) when If-None-Match names it.
    const etag =
      method === "GET" && r.status === 200
        ? `"${createHash("sha1").update(text).digest("hex")}"`
        : undefined;
    const notModified = etag !== undefined && headers["if-none-match"] === etag;
    if (!notModified && rate > 0) rate--;
    const status = notModified ? 304 : r.status;
    entry.status = status;
    res.writeHead(status, {
      "content-type":
        r.raw !== undefined ? "text/plain; charset=utf-8" : "application/json; charset=utf-8",
      "x-github-request-id": `FAKE:${requests.length}`,
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": String(rate),
      "x-ratelimit-used": String(5000 - rate),
      "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 3600),
      ...(etag ? { etag } : {}),
      ...r.headers,
    });
    res.end(notModified || status === 302 ? "" : text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `http://${host}`,
    requests,
    pulls,
    failNext(status, count = 1, headers = {}) {
      for (let i = 0; i < count; i++) failures.push({ status, headers });
    },
    setPermission: feedback.setPermission,
    addComment: feedback.addComment,
    addReviewComment: feedback.addReviewComment,
    addReview: feedback.addReview,
    comments: feedback.comments,
    reruns: checks.reruns,
    setRateRemaining(n) {
      rate = n;
    },
    rateRemaining: () => rate,
    deliver,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
