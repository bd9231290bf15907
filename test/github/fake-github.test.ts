import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.ts";
import { type BareRemote, createBareRemote } from "./git-fixture.ts";

/** The fake must refuse what GitHub refuses, or tests against it prove nothing. */

const TOKEN = "fake-token-1234567890";
let remote: BareRemote;
let fake: FakeGitHub;

beforeAll(async () => {
  remote = await createBareRemote();
  await remote.pushBranch("feature", { "a.txt": "a\n" });
  fake = await startFakeGitHub({
    token: TOKEN,
    repos: { "Acme/Widgets": { bare: remote.bare, defaultBranch: "main" } },
  });
});

afterAll(async () => {
  await fake?.close();
  await remote?.cleanup();
});

async function call(method: string, path: string, auth: string | null, body?: unknown) {
  const headers: Record<string, string> = { "user-agent": "test" };
  if (auth !== null) headers.authorization = auth;
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, data: (await res.json()) as Record<string, unknown> };
}

describe("fake GitHub", () => {
  it("accepts the token as `token X` and `Bearer X`, case-insensitively on the repo name", async () => {
    expect((await call("GET", "/repos/acme/widgets", `token ${TOKEN}`)).status).toBe(200);
    const bearer = await call("GET", "/repos/Acme/Widgets", `Bearer ${TOKEN}`);
    expect(bearer.data.full_name).toBe("Acme/Widgets");
  });

  it("rejects a wrong or missing token with GitHub's 401", async () => {
    for (const auth of [`token ${TOKEN}x`, `Basic ${TOKEN}`, null]) {
      const res = await call("GET", "/repos/acme/widgets", auth);
      expect(res.status).toBe(401);
      expect(res.data.message).toBe("Bad credentials");
    }
  });

  it("answers 404 Not Found for an unknown repository", async () => {
    const res = await call("GET", "/repos/acme/nope", `token ${TOKEN}`);
    expect(res).toMatchObject({ status: 404, data: { message: "Not Found" } });
  });

  it("lists and looks up the remote's branches in GitHub's shapes, behind the token", async () => {
    const auth = `token ${TOKEN}`;
    const list = await call("GET", "/repos/acme/widgets/branches", auth);
    expect(list.status).toBe(200);
    expect(list.data).toEqual([
      {
        name: "feature",
        commit: { sha: expect.any(String), url: expect.any(String) },
        protected: false,
      },
      {
        name: "main",
        commit: { sha: expect.any(String), url: expect.any(String) },
        protected: false,
      },
    ]);
    const page = await call("GET", "/repos/acme/widgets/branches?per_page=1&page=2", auth);
    expect(page.data).toEqual([expect.objectContaining({ name: "main" })]);
    const one = await call("GET", "/repos/acme/widgets/branches/feature", auth);
    expect(one).toMatchObject({ status: 200, data: { name: "feature", protected: false } });
    const missing = await call("GET", "/repos/acme/widgets/branches/nope", auth);
    expect(missing).toMatchObject({ status: 404, data: { message: "Branch not found" } });
    const noRepo = await call("GET", "/repos/acme/nope/branches/main", auth);
    expect(noRepo).toMatchObject({ status: 404, data: { message: "Not Found" } });
    for (const path of ["/repos/acme/widgets/branches", "/repos/acme/widgets/branches/main"]) {
      expect((await call("GET", path, null)).status).toBe(401);
    }
  });

  it("refuses a PR whose head branch is not in the remote", async () => {
    const body = { title: "t", head: "missing", base: "main" };
    const res = await call("POST", "/repos/acme/widgets/pulls", `token ${TOKEN}`, body);
    expect(res.status).toBe(422);
    expect(res.data.errors).toEqual([{ resource: "PullRequest", field: "head", code: "invalid" }]);
  });

  it("refuses head == base and a second open PR for the same head", async () => {
    const auth = `token ${TOKEN}`;
    const same = await call("POST", "/repos/acme/widgets/pulls", auth, {
      title: "t",
      head: "main",
      base: "main",
    });
    expect(same.status).toBe(422);
    const first = await call("POST", "/repos/acme/widgets/pulls", auth, {
      title: "t",
      head: "feature",
      base: "main",
    });
    expect(first.status).toBe(201);
    const second = await call("POST", "/repos/acme/widgets/pulls", auth, {
      title: "t",
      head: "Acme:feature",
      base: "main",
    });
    expect(second.status).toBe(422);
    expect(second.data.errors).toEqual([
      {
        resource: "PullRequest",
        code: "custom",
        message: "A pull request already exists for Acme:feature.",
      },
    ]);
  });

  it("ignores a head filter without the owner prefix, as GitHub does", async () => {
    const auth = `token ${TOKEN}`;
    const bare = await call("GET", "/repos/acme/widgets/pulls?head=nothing&state=open", auth);
    expect(bare.data).toHaveLength(1);
    const scoped = await call("GET", "/repos/acme/widgets/pulls?head=Acme:nothing", auth);
    expect(scoped.data).toHaveLength(0);
  });
});
