import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPaulError, type PaulError } from "../../src/errors.ts";
import { createGitHub } from "../../src/github/client.ts";
import { checkRepoAccess, openOrReusePullRequest } from "../../src/github/pulls.ts";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.ts";
import { type BareRemote, createBareRemote } from "./git-fixture.ts";

const TOKEN = `ghp_${"Q".repeat(36)}`;
let remote: BareRemote;
let fake: FakeGitHub;

beforeAll(async () => {
  remote = await createBareRemote();
  await remote.pushBranch("paul/dark-mode", { "theme.css": "body { color: #eee; }\n" });
  await remote.pushBranch("paul/retry", { "retry.txt": "retry\n" });
  await remote.pushBranch("paul/empty");
  fake = await startFakeGitHub({
    token: TOKEN,
    repos: { "acme/widgets": { bare: remote.bare, defaultBranch: "main" } },
  });
});

afterAll(async () => {
  await fake?.close();
  await remote?.cleanup();
});

const gh = () => createGitHub({ token: TOKEN, apiUrl: `${fake.url}/` }, { baseDelayMs: 1 });
const pr = (head: string, body = "first body") => ({
  owner: "acme",
  repo: "widgets",
  head,
  base: "main",
  title: `Add ${head}`,
  body,
});

async function failure(p: Promise<unknown>): Promise<PaulError> {
  try {
    await p;
  } catch (e) {
    if (isPaulError(e)) return e;
    throw e;
  }
  throw new Error("expected the call to fail");
}

describe("openOrReusePullRequest", () => {
  it("opens a pull request for a pushed branch", async () => {
    const result = await openOrReusePullRequest(gh(), { ...pr("paul/dark-mode"), draft: true });
    expect(result).toEqual({ url: `${fake.url}/acme/widgets/pull/1`, number: 1, reused: false });
    const created = fake.pulls.find((p) => p.number === 1);
    expect(created?.head.ref).toBe("paul/dark-mode");
    expect(created?.base.ref).toBe("main");
    expect(created?.title).toBe("Add paul/dark-mode");
    expect(created?.body).toBe("first body");
    expect(created?.draft).toBe(true);
  });

  it("reuses the open pull request for the same branch and updates its body", async () => {
    const start = fake.requests.length;
    const result = await openOrReusePullRequest(gh(), pr("paul/dark-mode", "second body"));
    expect(result).toEqual({ url: `${fake.url}/acme/widgets/pull/1`, number: 1, reused: true });
    expect(fake.pulls).toHaveLength(1);
    expect(fake.pulls[0]?.body).toBe("second body");
    const calls = fake.requests.slice(start).map((r) => `${r.method} ${r.status} ${r.path}`);
    expect(calls).toEqual([
      "POST 422 /repos/acme/widgets/pulls",
      "GET 200 /repos/acme/widgets/pulls?head=acme%3Apaul%2Fdark-mode&state=open",
      "PATCH 200 /repos/acme/widgets/pulls/1",
    ]);
  });

  it("opens a new pull request once the old one for the branch was closed", async () => {
    fake.pulls[0]!.state = "closed";
    const result = await openOrReusePullRequest(gh(), pr("paul/dark-mode", "third body"));
    expect(result.reused).toBe(false);
    expect(result.number).toBe(2);
    fake.pulls[0]!.state = "open";
  });

  it("retries a 5xx on create and then opens the pull request", async () => {
    const start = fake.requests.length;
    fake.failNext(503, 1);
    const result = await openOrReusePullRequest(gh(), pr("paul/retry"));
    expect(result.reused).toBe(false);
    expect(fake.requests.slice(start).map((r) => r.status)).toEqual([503, 201]);
    expect(fake.pulls.filter((p) => p.head.ref === "paul/retry")).toHaveLength(1);
  });

  it("explains a branch with no commits as a permanent error in GitHub's words", async () => {
    const err = await failure(openOrReusePullRequest(gh(), pr("paul/empty")));
    expect(err.code).toBe("bad_input");
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(
      "GitHub would not open a pull request from paul/empty into main: No commits between main and paul/empty",
    );
    expect(err.hint).toMatch(/no changes against main/);
  });

  it("says to push first when the branch is not on GitHub", async () => {
    const err = await failure(openOrReusePullRequest(gh(), pr("paul/never-pushed")));
    expect(err.code).toBe("bad_input");
    expect(err.message).toMatch(/head is invalid/);
    expect(err.hint).toMatch(/paul\/never-pushed is not on GitHub.*push it first/);
  });

  it("maps an unknown repository to github_not_found", async () => {
    const err = await failure(
      openOrReusePullRequest(gh(), { ...pr("paul/dark-mode"), repo: "gadgets" }),
    );
    expect(err.code).toBe("github_not_found");
    expect(err.message).toBe("acme/gadgets not found or the token can't see it");
  });

  it("maps a rejected token to github_auth and keeps the token out of the error", async () => {
    const wrong = `ghp_${"W".repeat(36)}`;
    const client = createGitHub({ token: wrong, apiUrl: fake.url });
    const err = await failure(openOrReusePullRequest(client, pr("paul/dark-mode")));
    expect(err.code).toBe("github_auth");
    expect(err.message).toBe("GitHub rejected the token");
    expect(inspect(err, { depth: 10 })).not.toContain(wrong);
  });
});

describe("checkRepoAccess", () => {
  it("returns the default branch and visibility", async () => {
    expect(await checkRepoAccess(gh(), "acme", "widgets")).toEqual({
      defaultBranch: "main",
      private: false,
    });
  });

  it("fails with github_not_found for a repository the token cannot see", async () => {
    const err = await failure(checkRepoAccess(gh(), "acme", "hidden"));
    expect(err.code).toBe("github_not_found");
  });
});
