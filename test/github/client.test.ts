import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPaulError, type PaulError } from "../../src/errors.ts";
import { createGitHub, type GitHubClientOptions } from "../../src/github/client.ts";
import { GitHubError } from "../../src/github/errors.ts";
import { checkRepoAccess } from "../../src/github/pulls.ts";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.ts";
import { type BareRemote, createBareRemote } from "./git-fixture.ts";

const TOKEN = `ghp_${"a1B2c3D4e5".repeat(3)}xyzXYZ`;

let remote: BareRemote;
let fake: FakeGitHub;

beforeAll(async () => {
  remote = await createBareRemote();
  fake = await startFakeGitHub({
    token: TOKEN,
    repos: {
      "acme/widgets": { bare: remote.bare, defaultBranch: "main" },
      "acme/secret": { bare: remote.bare, defaultBranch: "trunk", private: true },
    },
  });
});

afterAll(async () => {
  await fake?.close();
  await remote?.cleanup();
});

/** A client whose backoff is recorded instead of slept, so retry tests are fast and observable. */
function client(token: string | null = TOKEN, opts: GitHubClientOptions = {}) {
  const waits: number[] = [];
  const gh = createGitHub(
    { token: token ?? undefined, apiUrl: fake.url },
    {
      sleep: async (ms) => {
        waits.push(ms);
      },
      ...opts,
    },
  );
  return { gh, waits };
}

async function failure(p: Promise<unknown>): Promise<PaulError> {
  try {
    await p;
  } catch (e) {
    if (isPaulError(e)) return e;
    throw e;
  }
  throw new Error("expected the call to fail");
}

function requestsSince(start: number) {
  return fake.requests.slice(start);
}

describe("createGitHub", () => {
  it("authenticates with the token and pins the API version", async () => {
    const start = fake.requests.length;
    const access = await checkRepoAccess(client().gh, "acme", "secret");
    expect(access).toEqual({ defaultBranch: "trunk", private: true });
    const [req] = requestsSince(start);
    expect(req?.path).toBe("/repos/acme/secret");
    expect(req?.headers.authorization).toBe(`token ${TOKEN}`);
    expect(req?.headers["x-github-api-version"]).toBe("2022-11-28");
  });

  it("maps 401 to github_auth without retrying or echoing the token", async () => {
    const wrong = `ghp_${"Z".repeat(36)}`;
    const start = fake.requests.length;
    const err = await failure(checkRepoAccess(client(wrong).gh, "acme", "widgets"));
    expect(err.code).toBe("github_auth");
    expect(err.retryable).toBe(false);
    expect(err.message).toBe("GitHub rejected the token");
    expect(err.hint).toMatch(/GITHUB_TOKEN.*repo scope/);
    expect(err.toUserText()).not.toContain(wrong);
    expect(requestsSince(start)).toHaveLength(1);
  });

  it("says so when no token is configured", async () => {
    const err = await failure(checkRepoAccess(client(null).gh, "acme", "widgets"));
    expect(err.code).toBe("github_auth");
    expect(err.message).toMatch(/none is configured/);
  });

  it("maps 404 to github_not_found naming the repository", async () => {
    const err = await failure(checkRepoAccess(client().gh, "acme", "nope"));
    expect(err.code).toBe("github_not_found");
    expect(err.retryable).toBe(false);
    expect(err.message).toBe("acme/nope not found or the token can't see it");
  });

  it("retries 5xx with growing backoff and then succeeds", async () => {
    const { gh, waits } = client(TOKEN, { baseDelayMs: 100 });
    const start = fake.requests.length;
    fake.failNext(502, 2);
    const access = await checkRepoAccess(gh, "acme", "widgets");
    expect(access.defaultBranch).toBe("main");
    expect(requestsSince(start).map((r) => r.status)).toEqual([502, 502, 200]);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeGreaterThanOrEqual(200);
  });

  it("gives up after the bounded number of retries with a retryable github_failed", async () => {
    const { gh } = client(TOKEN, { retries: 2, baseDelayMs: 1 });
    const start = fake.requests.length;
    fake.failNext(500, 3);
    const err = await failure(checkRepoAccess(gh, "acme", "widgets"));
    expect(err.code).toBe("github_failed");
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/answered 500 to GET \/repos\/acme\/widgets after 3 attempts/);
    expect(requestsSince(start)).toHaveLength(3);
  });

  it("waits as long as Retry-After says on 429", async () => {
    const { gh, waits } = client();
    fake.failNext(429, 1, { "retry-after": "7" });
    await checkRepoAccess(gh, "acme", "widgets");
    expect(waits).toEqual([7000]);
  });

  it("fails fast, retryable, when the rate limit resets beyond the longest wait", async () => {
    const { gh, waits } = client(TOKEN, { maxDelayMs: 5000 });
    const reset = String(Math.floor(Date.now() / 1000) + 3600);
    const start = fake.requests.length;
    fake.failNext(403, 1, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset });
    const err = await failure(checkRepoAccess(gh, "acme", "widgets"));
    expect(err.code).toBe("github_failed");
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/rate limit/);
    expect(waits).toEqual([]);
    expect(requestsSince(start)).toHaveLength(1);
  });

  it("keeps GitHub's status and validation messages on the error", async () => {
    const { gh } = client();
    const err = await failure(
      gh.rest.pulls.create({ owner: "acme", repo: "widgets", head: "", base: "main", title: "t" }),
    );
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).status).toBe(422);
    expect((err as GitHubError).details).toEqual(["head is missing"]);
    expect(err.code).toBe("bad_input");
  });
});

describe("createGitHub against a server that does not answer", () => {
  let silent: Server;
  let url: string;
  beforeAll(async () => {
    // Accepts connections and never answers, like a hung proxy.
    silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("times each attempt out and retries a bounded number of times", async () => {
    const waits: number[] = [];
    const gh = createGitHub(
      { token: TOKEN, apiUrl: url },
      { timeoutMs: 150, retries: 1, baseDelayMs: 1, sleep: async (ms) => void waits.push(ms) },
    );
    const started = Date.now();
    const err = await failure(checkRepoAccess(gh, "acme", "widgets"));
    expect(err.code).toBe("github_failed");
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/could not be reached for GET \/repos\/acme\/widgets after 2/);
    expect(waits).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("reports a refused connection as unreachable, not as GitHub's answer", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const gh = createGitHub({ token: TOKEN, apiUrl: `http://127.0.0.1:${port}` }, { retries: 0 });
    const err = await failure(checkRepoAccess(gh, "acme", "widgets"));
    expect(err.code).toBe("github_failed");
    expect(err.message).toMatch(/could not be reached/);
    expect(err.message).not.toContain(TOKEN);
  });
});
