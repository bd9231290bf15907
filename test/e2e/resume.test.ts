import { afterAll, beforeAll, expect, test } from "vitest";
import { DEMO_FEATURE, demoModel } from "../../src/demo/script.ts";
import { ImplementationResultSchema } from "../../src/pipeline/implementation/schema.ts";
import { createTestDb, type TestDb } from "../support/db.ts";
import { type ModelServer, roleOf, startModelServer } from "../support/fake-anthropic.ts";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.ts";
import { removeFixtures, tempDir } from "../support/git-fixtures.ts";
import {
  GITHUB_TOKEN,
  MODEL_KEY,
  runPaul,
  sampleGitHubRemote,
  startPaul,
  waitFor,
} from "../support/harness.ts";

let db: TestDb;
let model: ModelServer;
let env: Record<string, string>;
let gh: FakeGitHub;
let coderCalls = 0;

beforeAll(async () => {
  db = await createTestDb();
  const remote = await sampleGitHubRemote();
  model = await startModelServer({
    apiKey: MODEL_KEY,
    // The very first coder call hangs long enough for the test to kill the CLI mid-attempt.
    respond: async (req) => {
      if (roleOf(req) === "coder" && coderCalls++ === 0)
        await new Promise((r) => setTimeout(r, 5000));
      return demoModel(req);
    },
  });
  gh = await startFakeGitHub({
    token: GITHUB_TOKEN,
    repos: { "acme/greetings": { bare: remote.bare, defaultBranch: "main" } },
  });
  env = {
    GITHUB_TOKEN,
    GITHUB_API_URL: gh.url,
    DATABASE_URL: db.url,
    PAUL_HOME: await tempDir("paul-home-"),
    ANTHROPIC_API_KEY: MODEL_KEY,
    ANTHROPIC_BASE_URL: model.url,
    GITHUB_URL: remote.webUrl,
    PAUL_WORKER_STALE_SECONDS: "2",
  };
});

afterAll(async () => {
  await model.close();
  await gh.close();
  await removeFixtures();
});

test("resume after the CLI is killed mid-attempt: finished phases are not redone, the half attempt is discarded", {
  timeout: 150_000,
}, async () => {
  const first = startPaul(
    ["build", DEMO_FEATURE, "--repo", "acme/greetings", "--yes", "--approach", "1"],
    env,
  );
  const runId = await waitFor("a coder attempt in progress", async () => {
    const r = await db.pool.query("select run_id from coder_attempts where status = 'running'");
    return r.rows[0]?.run_id as string | undefined;
  });
  first.kill("SIGKILL");
  const killed = await first.done;
  expect(killed.signal).toBe("SIGKILL");
  const analysisCalls = model.requests.filter((r) => roleOf(r) === "analysis").length;
  expect(
    (await db.pool.query("select status from runs where id = $1", [runId])).rows[0].status,
  ).toBe("running");

  const resumed = await runPaul(["resume", runId, "--yes", "--approach", "1"], env);
  expect(resumed.stderr).not.toMatch(/Error/);
  expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
  expect(resumed.stdout).toContain(`Resuming run ${runId}`);

  const run = (await db.pool.query("select * from runs where id = $1", [runId])).rows[0];
  expect(run.status).toBe("done");
  // Nothing before implementation ran twice.
  expect(model.requests.filter((r) => roleOf(r) === "analysis")).toHaveLength(analysisCalls);
  const phases = await db.pool.query(
    "select phase, count(*)::int as n from phase_results where run_id = $1 group by phase",
    [runId],
  );
  expect(Object.fromEntries(phases.rows.map((p) => [p.phase, p.n]))).toEqual({
    analysis: 1,
    approaches: 1,
    judging: 1,
    implementation: 1,
    pr: 1,
  });
  // The interrupted attempt is discarded and does not count as a failure.
  const attempts = await db.pool.query(
    "select status, ended_reason from coder_attempts where run_id = $1 order by id",
    [runId],
  );
  expect(attempts.rows.map((a) => a.status)).toEqual(["discarded", "failed", "passed"]);
  expect(attempts.rows[0].ended_reason).toBe("interrupted");
  const impl = (
    await db.pool.query(
      "select output from phase_results where run_id = $1 and phase = 'implementation'",
      [runId],
    )
  ).rows[0].output;
  expect(ImplementationResultSchema.parse(impl).totalCoderAttempts).toBe(2);
  expect(gh.pulls).toHaveLength(1);
});
