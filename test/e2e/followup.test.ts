import { afterAll, beforeAll, expect, test } from "vitest";
import { gitOut } from "../../src/workspace/git.ts";
import { createTestDb, type TestDb } from "../support/db.ts";
import { type ModelServer, startModelServer } from "../support/fake-anthropic.ts";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.ts";
import { DEMO_FEATURE, followupModel, SEE_YOU, SEE_YOU_TEST } from "../support/followup-model.ts";
import { removeFixtures, tempDir } from "../support/git-fixtures.ts";
import { GITHUB_TOKEN, MODEL_KEY, runPaul, sampleGitHubRemote } from "../support/harness.ts";

let db: TestDb;
let model: ModelServer;
let gh: FakeGitHub;
let remote: Awaited<ReturnType<typeof sampleGitHubRemote>>;
let env: Record<string, string>;
let buildId: string;
let branch: string;

beforeAll(async () => {
  db = await createTestDb();
  remote = await sampleGitHubRemote();
  model = await startModelServer({
    apiKey: MODEL_KEY,
    respond: followupModel([
      {
        when: "See you",
        files: { "src/farewell.js": SEE_YOU, "test/farewell.test.js": SEE_YOU_TEST },
        summary: "farewell now says 'See you, <name>!'.",
      },
    ]),
  });
  gh = await startFakeGitHub({
    token: GITHUB_TOKEN,
    repos: { "acme/greetings": { bare: remote.bare, defaultBranch: "main" } },
  });
  env = {
    DATABASE_URL: db.url,
    PAUL_HOME: await tempDir("paul-home-"),
    ANTHROPIC_API_KEY: MODEL_KEY,
    ANTHROPIC_BASE_URL: model.url,
    GITHUB_TOKEN,
    GITHUB_API_URL: gh.url,
    GITHUB_URL: remote.webUrl,
  };
  const built = await runPaul(
    ["build", DEMO_FEATURE, "--repo", "acme/greetings", "--yes", "--approach", "1"],
    env,
  );
  expect(built.code, built.stderr).toBe(0);
  const run = (await db.pool.query("select id, branch from runs where kind = 'build'")).rows[0];
  buildId = run.id;
  branch = run.branch;
}, 120_000);

afterAll(async () => {
  await model.close();
  await gh.close();
  await removeFixtures();
});

const head = () => gitOut(["rev-parse", `refs/heads/${branch}`], remote.bare);

test("paul followup changes the build's branch: one narrow task, gates, a push on top of the PR's head, the PR body's Follow-ups section", async () => {
  const before = await head();
  const res = await runPaul(
    ["followup", buildId, "Make farewell say 'See you, <name>!' instead of Goodbye"],
    env,
  );
  expect(res.stderr).not.toContain("Error");
  expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
  expect(res.stdout).toContain("▸ Follow-up");
  expect(res.stdout).toContain("▸ Implementation");
  expect(res.stdout).toContain("▸ Push");

  const f = (
    await db.pool.query("select * from runs where parent_run_id = $1 order by created_at", [
      buildId,
    ])
  ).rows[0];
  expect(f.kind).toBe("followup");
  expect(f.status).toBe("done");
  expect(f.branch).toBe(branch);
  // No analysis, approaches or judging: its own flow.
  const phases = await db.pool.query(
    "select phase from phase_results where run_id = $1 order by id",
    [f.id],
  );
  expect(phases.rows.map((r) => r.phase)).toEqual(["request", "implementation", "push"]);

  // Pushed on top of the branch as it was: a fast-forward, with the new text.
  const after = await head();
  expect(after).not.toBe(before);
  expect(
    await gitOut(["merge-base", "--is-ancestor", before, after], remote.bare).then(() => true),
  ).toBe(true);
  expect(await gitOut(["show", `${after}:src/farewell.js`], remote.bare)).toContain("See you");

  // The coder got the request fenced as data, and the PR's diff.
  const coder = model.requests.filter((r) =>
    JSON.stringify(r.messages[0]).includes("<<<UNTRUSTED REQUEST"),
  );
  expect(coder.length).toBeGreaterThan(0);
  expect(JSON.stringify(coder[0]?.messages[0])).toContain("src/farewell.js");

  // The PR body gained a Follow-ups section naming it.
  const pull = gh.pulls[0];
  expect(pull?.body).toContain("## Follow-ups");
  expect(pull?.body).toContain(f.id);
  expect(pull?.body).toContain(after.slice(0, 7));

  // paul show on the build lists it.
  const show = await runPaul(["show", buildId], env);
  expect(show.stdout).toContain("── Follow-ups ──");
  expect(show.stdout).toContain(`${f.id} terminal request`);
  expect(show.stdout).toContain(`pushed ${after.slice(0, 7)}`);
}, 120_000);

test("a follow-up of a run that is not done, or does not exist, is refused with what to do", async () => {
  const missing = await runPaul(["followup", "r-nosuch", "anything"], env);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("No run with id r-nosuch");
  await db.pool.query("update runs set status = 'running' where id = $1", [buildId]);
  try {
    const busy = await runPaul(["followup", buildId, "anything"], env);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain("is still going");
  } finally {
    await db.pool.query("update runs set status = 'done' where id = $1", [buildId]);
  }
  const empty = await runPaul(["followup", buildId, ""], env);
  expect(empty.code).toBe(2);
});
