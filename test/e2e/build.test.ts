import { afterAll, beforeAll, expect, test } from "vitest";
import { DEMO_FEATURE, demoModel } from "../../src/demo/script.ts";
import { ImplementationResultSchema } from "../../src/pipeline/implementation/schema.ts";
import { gitOut } from "../../src/workspace/git.ts";
import { createTestDb, type TestDb } from "../support/db.ts";
import {
  lastToolResults,
  type ModelServer,
  promptText,
  roleOf,
  startModelServer,
} from "../support/fake-anthropic.ts";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.ts";
import { removeFixtures, tempDir } from "../support/git-fixtures.ts";
import { GITHUB_TOKEN, MODEL_KEY, runPaul, sampleGitHubRemote } from "../support/harness.ts";

let db: TestDb;
let model: ModelServer;
let gh: FakeGitHub;
let remote: Awaited<ReturnType<typeof sampleGitHubRemote>>;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDb();
  remote = await sampleGitHubRemote();
  model = await startModelServer({ apiKey: MODEL_KEY, respond: demoModel });
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
});

afterAll(async () => {
  await model.close();
  await gh.close();
  await removeFixtures();
});

test("paul build drives every phase to a PR; the retry starts clean and knows why the first attempt failed", async () => {
  const res = await runPaul(
    ["build", DEMO_FEATURE, "--repo", "acme/greetings", "--yes", "--approach", "1"],
    env,
  );
  expect(res.stderr).not.toContain("Error");
  expect(res.code).toBe(0);
  for (const phase of [
    "▸ Analysis",
    "▸ Approaches",
    "▸ Judging",
    "▸ Implementation",
    "▸ Pull request",
  ]) {
    expect(res.stdout).toContain(phase);
  }
  expect(res.stdout).toContain("attempt 2 of 5");

  const run = (await db.pool.query("select * from runs")).rows[0];
  expect(run.status).toBe("done");
  expect(run.pr_url).toMatch(/\/acme\/greetings\/pull\/1$/);

  // Phase rows: one per phase, in order.
  const phases = await db.pool.query(
    "select phase from phase_results where run_id = $1 order by id",
    [run.id],
  );
  expect(phases.rows.map((r) => r.phase)).toEqual([
    "analysis",
    "approaches",
    "judging",
    "implementation",
    "pr",
  ]);

  // CTAs: each resolved exactly once, by the CLI user, with the expected decision.
  const ctas = await db.pool.query(
    "select phase, kind, status, decision from ctas where run_id = $1 order by id",
    [run.id],
  );
  expect(ctas.rows.map((c) => [c.phase, c.kind, c.status, c.decision.action])).toEqual([
    ["analysis", "approval", "resolved", "approve"],
    ["approaches", "choice", "resolved", "choose"],
    ["judging", "approval", "resolved", "approve"],
    ["implementation", "create_pr", "resolved", "approve"],
  ]);

  // The contract, validated and checked field by field.
  const impl = (
    await db.pool.query(
      "select output from phase_results where run_id = $1 and phase = 'implementation'",
      [run.id],
    )
  ).rows[0].output;
  const contract = ImplementationResultSchema.parse(impl);
  expect(contract.branch).toBe(run.branch);
  expect(contract.branch.startsWith(`paul/${run.id}-`)).toBe(true);
  expect(contract.filesChanged).toEqual([
    { path: "src/farewell.js", changeType: "added" },
    { path: "test/farewell.test.js", changeType: "added" },
  ]);
  expect(contract.gateResults.map((g) => [g.gate, g.status])).toEqual(
    expect.arrayContaining([
      ["test", "passed"],
      ["lint", "passed"],
    ]),
  );
  expect(contract.totalCoderAttempts).toBe(2);
  expect(contract.conditionsAddressed).toHaveLength(2);

  // Attempts: the first failed on the test gate, the second passed.
  const attempts = await db.pool.query(
    "select attempt_no, status, ended_reason, files_touched from coder_attempts where run_id = $1 order by attempt_no",
    [run.id],
  );
  expect(attempts.rows.map((a) => [a.attempt_no, a.status, a.ended_reason])).toEqual([
    [1, "failed", "test_failed"],
    [2, "passed", "gates_passed"],
  ]);
  expect(attempts.rows[0].files_touched).toEqual(
    expect.arrayContaining(["src/farewell.js", "notes-attempt-1.txt"]),
  );

  // The second coder started from a clean branch: the first attempt's scratch file was gone.
  const coderRequests = model.requests.filter((r) => roleOf(r) === "coder");
  const retryRequests = coderRequests.filter((r) => promptText(r).includes("This is a retry"));
  expect(retryRequests.length).toBeGreaterThan(0);
  const lsResult = retryRequests.flatMap((r) => lastToolResults(r)).find((t) => t.name === "bash");
  expect(lsResult?.content).toContain("CLEAN");
  expect(lsResult?.content).not.toContain("notes-attempt-1.txt");
  // ...and its prompt carried the failing gate output and the files the first attempt touched.
  const retryPrompt = promptText(retryRequests[0]!);
  expect(retryPrompt).toContain("Goodbye Ada");
  expect(retryPrompt).toContain("notes-attempt-1.txt");
  expect(retryPrompt).toContain("src/farewell.js");
  expect(retryPrompt).toContain("Do NOT repeat these patterns");

  // Usage: every model call is in the ledger with tokens and a cost.
  const usage = await db.pool.query(
    "select phase, role, input_tokens, cost_usd from llm_usage where run_id = $1",
    [run.id],
  );
  const validCalls = model.requests.length;
  expect(usage.rowCount).toBe(validCalls);
  expect(new Set(usage.rows.map((u) => u.phase))).toEqual(
    new Set(["analysis", "approaches", "judging", "implementation"]),
  );
  expect(usage.rows.every((u) => u.input_tokens > 0 && Number(u.cost_usd) > 0)).toBe(true);

  // The PR on "GitHub": Paul's branch against main, with the story in its body.
  expect(gh.pulls).toHaveLength(1);
  const pr = gh.pulls[0]!;
  expect(pr.head.ref).toBe(contract.branch);
  expect(pr.base.ref).toBe("main");
  for (const part of [
    DEMO_FEATURE,
    "Separate module",
    "Keep the greeting style",
    "test",
    "attempt",
  ]) {
    expect(pr.body).toContain(part);
  }
  // The branch really is on the remote with the fixed file; main is untouched.
  const file = await gitOut(["show", `refs/heads/${contract.branch}:src/farewell.js`], remote.bare);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's source text, not a template
  expect(file).toContain("Goodbye, ${name}!");
  expect(await gitOut(["ls-tree", "--name-only", "-r", "main"], remote.bare)).not.toContain(
    "farewell",
  );

  // `paul show` tells the same story.
  const show = await runPaul(["show", run.id], env);
  expect(show.code).toBe(0);
  expect(show.stdout).toContain("attempt 1");
  expect(show.stdout).toContain(run.pr_url);
});

test("GitHub answering 401 at the PR step fails the run with what to do; resume with a good token opens the PR", async () => {
  const bad = { ...env, GITHUB_TOKEN: "ghp_wrongTokenWrongToken0000000000000000" };
  const res = await runPaul(["build", DEMO_FEATURE, "--repo", "acme/greetings", "--yes"], bad);
  expect(res.code).toBe(1);
  expect(res.stdout).toMatch(/Run failed: pr failed: GitHub rejected the token/);
  expect(res.stdout).toContain("GITHUB_TOKEN");
  expect(res.stdout).not.toContain("ghp_wrongToken");
  const run = (await db.pool.query("select * from runs order by created_at desc limit 1")).rows[0];
  expect(run.status).toBe("failed");
  const before = gh.pulls.length;

  const resumed = await runPaul(["resume", run.id], env, "");
  expect(resumed.code).toBe(0);
  expect(gh.pulls).toHaveLength(before + 1);
  expect(gh.pulls.at(-1)?.head.ref).toBe(run.branch);
  // Only the failed step ran again.
  const impl = await db.pool.query(
    "select count(*)::int as n from phase_results where run_id = $1 and phase = 'implementation'",
    [run.id],
  );
  expect(impl.rows[0].n).toBe(1);
});
