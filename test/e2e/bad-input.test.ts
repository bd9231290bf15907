import { execFileSync } from "node:child_process";
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { demoModel } from "../../src/demo/script.ts";
import { createTestDb, type TestDb } from "../support/db.ts";
import { type ModelServer, roleOf, startModelServer, submit } from "../support/fake-anthropic.ts";
import { removeFixtures, tempDir } from "../support/git-fixtures.ts";
import { cliEnv, MODEL_KEY, runPaul, sampleGitHubRemote } from "../support/harness.ts";

let db: TestDb;
let model: ModelServer;
let remote: Awaited<ReturnType<typeof sampleGitHubRemote>>;
let env: Record<string, string>;
/** Per test: what the model should do instead of the recorded answers. */
let override: ((role: string) => ReturnType<typeof demoModel> | undefined) | undefined;

beforeAll(async () => {
  db = await createTestDb();
  remote = await sampleGitHubRemote();
  model = await startModelServer({
    apiKey: MODEL_KEY,
    respond: (req) => override?.(roleOf(req) ?? "") ?? demoModel(req),
  });
  env = await cliEnv({ dbUrl: db.url, modelUrl: model.url, githubWebUrl: remote.webUrl });
});

afterAll(async () => {
  await model.close();
  await removeFixtures();
});

const countRuns = async () =>
  Number((await db.pool.query("select count(*) from runs")).rows[0].count);
const latestRun = async () =>
  (await db.pool.query("select * from runs order by created_at desc limit 1")).rows[0];

test.each([
  ["an empty feature", ["build", "   ", "--repo", "acme/greetings"], /The feature is empty/],
  [
    "a path that doesn't exist",
    ["build", "add x", "--repo", "/definitely/not/here"],
    /does not exist/,
  ],
  [
    "a URL that can't be cloned",
    ["build", "add x", "--repo", "file:///definitely/not/here.git"],
    /Could not clone/,
  ],
  [
    "a base branch that doesn't exist",
    ["build", "add x", "--repo", "acme/greetings", "--base", "nope"],
    /Branch 'nope' does not exist.*\n?.*main/,
  ],
  [
    "a bad --approach",
    ["build", "add x", "--repo", "acme/greetings", "--approach", "zero"],
    /must be a whole number/,
  ],
])("%s: a clear message, exit 2, and no run", async (_what, args, message) => {
  const before = await countRuns();
  const res = await runPaul(args, env);
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(message);
  expect(await countRuns()).toBe(before);
});

test("a directory that isn't a git repository", async () => {
  const dir = await tempDir("paul-plain-");
  await mkdir(join(dir, "src"));
  const res = await runPaul(["build", "add x", "--repo", dir], env);
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(/not a git repository/);
});

test("no Anthropic key: the variable, why build needs it, an example", async () => {
  const { ANTHROPIC_API_KEY: _, ...noKey } = env;
  const res = await runPaul(["build", "add x", "--repo", "acme/greetings"], noKey);
  expect(res.code).toBe(2);
  expect(res.stderr).toContain("ANTHROPIC_API_KEY: is not set");
  expect(res.stderr).toContain("needed for `paul build`");
  expect(res.stderr).toContain("example: ANTHROPIC_API_KEY=");
});

test("the model answering 401 fails the run with a message about the key, not a retry loop", async () => {
  const res = await runPaul(["build", "add x", "--repo", "acme/greetings", "--yes"], {
    ...env,
    ANTHROPIC_API_KEY: "sk-ant-wrong-key-000000000",
  });
  expect(res.code).toBe(1);
  expect(res.stdout).toMatch(/Run failed: analysis failed: .*(401|authentication|key)/i);
  expect(res.stdout).toContain("ANTHROPIC_API_KEY");
  const run = await latestRun();
  expect(run.status).toBe("failed");
  expect(
    (
      await db.pool.query("select count(*) from ctas where run_id = $1 and status = 'pending'", [
        run.id,
      ])
    ).rows[0].count,
  ).toBe("0");
});

test("429 and 529 are retried with backoff and the run goes on", async () => {
  const before = model.requests.length;
  model.failNext(529, 1);
  model.failNext(429, 1);
  const res = await runPaul(["build", "add x", "--repo", "acme/greetings"], env, "");
  // stdin is closed, so the run stops at the first question and waits.
  expect(res.code).toBe(3);
  expect(res.stdout).toContain("Approve to proceed to approach generation?");
  expect(res.stdout).toContain("paul resume");
  expect(model.requests.length - before).toBeGreaterThanOrEqual(3);
  expect((await latestRun()).status).toBe("waiting");
});

test("a model that keeps returning invalid structured output fails the run after bounded repairs", async () => {
  override = (role) => (role === "analysis" ? { content: [submit({ summary: 42 })] } : undefined);
  try {
    const res = await runPaul(["build", "add x", "--repo", "acme/greetings", "--yes"], env);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/Run failed: analysis failed: .*(invalid|valid)/i);
    const run = await latestRun();
    expect(run.status).toBe("failed");
    const calls = model.requests.filter((r) => roleOf(r) === "analysis" && r.messages.length > 1);
    expect(calls.length).toBeGreaterThan(0);
    expect(
      (await db.pool.query("select count(*) from phase_results where run_id = $1", [run.id]))
        .rows[0].count,
    ).toBe("0");
  } finally {
    override = undefined;
  }
});

test("budget exhausted stops the run with what was spent; resume with a higher budget continues", async () => {
  const res = await runPaul(
    ["build", "add x", "--repo", "acme/greetings", "--yes", "--budget-usd", "0.001"],
    env,
  );
  expect(res.code).toBe(1);
  expect(res.stdout).toMatch(/Budget reached for run r-\w+: \$0\.\d+ of \$0\.00/);
  expect(res.stdout).toContain("--budget-usd");
  const run = await latestRun();
  expect(run.status).toBe("failed");
  const resumed = await runPaul(["resume", run.id, "--budget-usd", "5"], env, "");
  expect(resumed.code).toBe(3);
  expect(
    (await db.pool.query("select status, budget_usd from runs where id = $1", [run.id])).rows[0],
  ).toEqual({ status: "waiting", budget_usd: "5" });
});

test("a gate program missing inside the sandbox stops the run before analysis, saying where Paul looked", async () => {
  const broken = await sampleGitHubRemote("missing-tool", {
    "paul.gates.json": JSON.stringify({
      gates: { test: "definitely-not-a-tool --run", lint: "node scripts/lint.js" },
    }),
  });
  const before = await countRuns();
  const calls = model.requests.length;
  const res = await runPaul(["build", "add x", "--repo", "acme/missing-tool", "--yes"], {
    ...env,
    GITHUB_URL: broken.webUrl,
  });
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(
    /the test gate's `definitely-not-a-tool --run` needs `definitely-not-a-tool`, and it is not found inside the sandbox/,
  );
  expect(res.stderr).toMatch(/Paul looked on the sandbox's PATH: \S*\/usr\/bin/);
  expect(res.stderr).toContain("paul.gates.json");
  expect(await countRuns()).toBe(before);
  expect(model.requests.length).toBe(calls);
});

test("a gate command that disappears mid-run pauses with what to fix instead of burning attempts", async () => {
  // A path, not a program on the PATH: the preflight leaves it to the gate itself.
  const broken = await sampleGitHubRemote("broken-gates", {
    "paul.gates.json": JSON.stringify({
      gates: { test: "./bin/definitely-not-a-tool --run", lint: "node scripts/lint.js" },
    }),
  });
  const res = await runPaul(["build", "add x", "--repo", "acme/broken-gates", "--yes"], {
    ...env,
    GITHUB_URL: broken.webUrl,
  });
  expect(res.code).toBe(3);
  expect(res.stdout).toMatch(
    /test gate's command was not found \(`\.\/bin\/definitely-not-a-tool --run`\)/,
  );
  expect(res.stdout).toContain("paul.gates.json");
  const run = await latestRun();
  expect(run.status).toBe("paused");
  const attempts = await db.pool.query(
    "select ended_reason from coder_attempts where run_id = $1",
    [run.id],
  );
  expect(attempts.rows).toEqual([{ ended_reason: "test_missing" }]);
});

test("PAUL_SANDBOX=off is never silent: the run says so", async () => {
  const res = await runPaul(
    ["build", "add x", "--repo", "acme/greetings"],
    {
      ...env,
      PAUL_SANDBOX: "off",
    },
    "",
  );
  expect(res.code).toBe(3);
  expect(res.stdout).toContain("Sandbox off (PAUL_SANDBOX=off)");
  const run = await latestRun();
  const ev = await db.pool.query(
    "select data from run_events where run_id = $1 and kind = 'progress'",
    [run.id],
  );
  expect(JSON.stringify(ev.rows)).toContain("Sandbox off");
});

test("a sandbox that can't start stops the run before analysis with what to install; nothing runs unsandboxed", async () => {
  // A PATH with git and a shell but no bubblewrap, as on a machine without it.
  const bin = await tempDir("paul-nobwrap-");
  for (const tool of ["git", "bash", "sh", "env", "cat", "id"]) {
    const found = execFileSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
    await symlink(found, join(bin, tool));
  }
  const before = await countRuns();
  const calls = model.requests.length;
  const res = await runPaul(["build", "add x", "--repo", "acme/greetings", "--yes"], {
    ...env,
    PATH: bin,
  });
  expect(res.code).toBe(2);
  expect(res.stderr).toMatch(/sandbox .* cannot start: .*bubblewrap/i);
  expect(res.stderr).toContain("apt-get install bubblewrap socat ripgrep");
  expect(res.stderr).toContain("PAUL_SANDBOX=off");
  expect(await countRuns()).toBe(before);
  expect(model.requests.length).toBe(calls);
});

test.each([
  [
    "PAUL_HOME that is a file",
    async () => {
      const d = await tempDir();
      execFileSync("touch", [join(d, "home")]);
      return { PAUL_HOME: join(d, "home"), DATABASE_URL: "" };
    },
    2,
    /PAUL_HOME \(.*home\) is not a directory[\s\S]*→ point PAUL_HOME at a directory/,
  ],
  [
    "a database that does not exist",
    async () => ({ DATABASE_URL: db.url.replace(/\/[^/]+$/, "/paul_no_such_db") }),
    2,
    /The database .*paul_no_such_db does not exist\.\n→ create it \(createdb paul_no_such_db\)/,
  ],
  [
    "a database nobody answers on",
    async () => ({ DATABASE_URL: "postgres://paul@127.0.0.1:9/paul", PAUL_DB_WAIT_SECONDS: "1" }),
    1,
    /Database unreachable, retrying[\s\S]*is unreachable; Paul waited 1 s: connect ECONNREFUSED[\s\S]*→ check that Postgres is running/,
  ],
  [
    "a database host that does not resolve",
    async () => ({ DATABASE_URL: "postgres://paul@no-such-host.invalid:5432/paul" }),
    2,
    /database host in DATABASE_URL \(no-such-host\.invalid:5432\/paul\) is unknown/,
  ],
])("%s: a coded message with what to do, no stack trace", async (_what, make, code, message) => {
  const extra = await make();
  const res = await runPaul(["runs"], { ...env, ...extra });
  expect(res.stderr).toMatch(message);
  expect(res.stderr).not.toMatch(/\n\s+at /);
  expect(res.code).toBe(code);
});
