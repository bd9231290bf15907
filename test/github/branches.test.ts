import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPaulError, type PaulError } from "../../src/errors.ts";
import { checkBranch } from "../../src/github/branches.ts";
import { createGitHub } from "../../src/github/client.ts";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.ts";
import { type BareRemote, createBareRemote } from "./git-fixture.ts";

const TOKEN = `ghp_${"B".repeat(36)}`;
let remote: BareRemote;
let fake: FakeGitHub;

beforeAll(async () => {
  remote = await createBareRemote();
  for (const b of ["develop", "paul/dark-mode", "release-1"]) await remote.pushBranch(b);
  fake = await startFakeGitHub({
    token: TOKEN,
    repos: { "acme/widgets": { bare: remote.bare, defaultBranch: "main" } },
  });
});

afterAll(async () => {
  await fake?.close();
  await remote?.cleanup();
});

const gh = (token = TOKEN) => createGitHub({ token, apiUrl: fake.url }, { baseDelayMs: 1 });
const since = (start: number) =>
  fake.requests.slice(start).map((r) => `${r.method} ${r.status} ${r.path}`);

async function failure(p: Promise<unknown>): Promise<PaulError> {
  try {
    await p;
  } catch (e) {
    if (isPaulError(e)) return e;
    throw e;
  }
  throw new Error("expected the call to fail");
}

describe("checkBranch", () => {
  it("finds an existing branch with one request", async () => {
    const start = fake.requests.length;
    expect(await checkBranch(gh(), "acme", "widgets", "develop")).toEqual({ exists: true });
    expect(since(start)).toEqual(["GET 200 /repos/acme/widgets/branches/develop"]);
  });

  it("finds a branch whose name holds a slash", async () => {
    const start = fake.requests.length;
    expect(await checkBranch(gh(), "acme", "widgets", "paul/dark-mode")).toEqual({
      exists: true,
    });
    expect(since(start)).toEqual(["GET 200 /repos/acme/widgets/branches/paul%2Fdark-mode"]);
  });

  it("says a missing branch does not exist and suggests the existing ones", async () => {
    const start = fake.requests.length;
    expect(await checkBranch(gh(), "acme", "widgets", "relase-1")).toEqual({
      exists: false,
      suggestions: ["develop", "main", "paul/dark-mode", "release-1"],
    });
    expect(since(start)).toEqual([
      "GET 404 /repos/acme/widgets/branches/relase-1",
      "GET 200 /repos/acme/widgets/branches?per_page=10",
    ]);
  });

  it("treats an empty name as missing instead of asking for /branches/", async () => {
    const result = await checkBranch(gh(), "acme", "widgets", "");
    expect(result).toMatchObject({ exists: false });
  });

  it("fails with github_not_found for a repository the token cannot see", async () => {
    const err = await failure(checkBranch(gh(), "acme", "hidden", "main"));
    expect(err.code).toBe("github_not_found");
    expect(err.message).toBe("acme/hidden not found or the token can't see it");
  });

  it("maps a rejected token to github_auth without retrying or echoing it", async () => {
    const wrong = `ghp_${"W".repeat(36)}`;
    const start = fake.requests.length;
    const err = await failure(checkBranch(gh(wrong), "acme", "widgets", "main"));
    expect(err.code).toBe("github_auth");
    expect(err.retryable).toBe(false);
    expect(err.message).toBe("GitHub rejected the token");
    expect(since(start)).toEqual(["GET 401 /repos/acme/widgets/branches/main"]);
    expect(inspect(err, { depth: 10 })).not.toContain(wrong);
  });

  it("retries a 5xx and then answers", async () => {
    const start = fake.requests.length;
    fake.failNext(502);
    expect(await checkBranch(gh(), "acme", "widgets", "main")).toEqual({ exists: true });
    expect(fake.requests.slice(start).map((r) => r.status)).toEqual([502, 200]);
  });
});
