import { afterAll, beforeAll, expect, test } from "vitest";
import { demoModel } from "../../src/demo/script.ts";
import { createTestDb, type TestDb } from "../support/db.ts";
import { type ModelServer, startModelServer } from "../support/fake-anthropic.ts";
import { removeFixtures } from "../support/git-fixtures.ts";
import {
  cliEnv,
  MODEL_KEY,
  runPaul,
  sampleGitHubRemote,
  startPaul,
  waitFor,
} from "../support/harness.ts";

// Every exit code README promises, from the real CLI process: 0 done and 1
// failed are also covered by build.test.ts and bad-input.test.ts.
let db: TestDb;
let model: ModelServer;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDb();
  const remote = await sampleGitHubRemote();
  model = await startModelServer({ apiKey: MODEL_KEY, respond: demoModel });
  env = await cliEnv({ dbUrl: db.url, modelUrl: model.url, githubWebUrl: remote.webUrl });
});

afterAll(async () => {
  await model.close();
  await removeFixtures();
});

const latestRun = async () =>
  (await db.pool.query("select * from runs order by created_at desc limit 1")).rows[0];

test.each([
  ["an unknown command", ["bogus"], /unknown command 'bogus'/],
  ["a missing required option", ["build", "add x"], /required option '--repo <repo>'/],
  ["an option value out of range", ["runs", "--limit", "0"], /must be a whole number, 1 or more/],
  ["no command at all", [], /Usage: paul/],
])("usage error, %s: exit 2 with what was wrong", async (_what, args, message) => {
  const res = await runPaul(args, env);
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(message);
});

test("--version and --help exit 0", async () => {
  const version = await runPaul(["--version"], env);
  expect(version.code).toBe(0);
  expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  const help = await runPaul(["--help"], env);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain("build");
});

test("cancelling at a question exits 4 and the run is cancelled", async () => {
  const res = await runPaul(["build", "add x", "--repo", "acme/greetings"], env, "c\n");
  expect(res.code).toBe(4);
  expect((await latestRun()).status).toBe("cancelled");
});

test("Ctrl-C exits 130, says how to continue, and the run can be resumed", async () => {
  const before = await latestRun();
  // stdin stays open: the run reaches its first question and waits there.
  const p = startPaul(["build", "add x", "--repo", "acme/greetings"], env);
  await waitFor("the first question", async () =>
    p.stdout().includes("Approve to proceed to approach generation?"),
  );
  p.kill("SIGINT");
  const res = await p.done;
  expect(res.code).toBe(130);
  expect(res.stderr).toMatch(/Interrupted\. Nothing is lost: continue with `paul resume r-\w+`/);
  const run = await latestRun();
  expect(run.id).not.toBe(before?.id);
  expect(run.status).toBe("waiting");
  // Nothing was lost: resume shows the same question again (and, with stdin closed, waits: 3).
  const resumed = await runPaul(["resume", run.id], env, "");
  expect(resumed.code).toBe(3);
  expect(resumed.stdout).toContain("Approve to proceed to approach generation?");
});
