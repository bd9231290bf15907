import { afterAll, beforeAll, expect, test } from "vitest";
import { demoModel } from "../../src/demo/script.ts";
import { phaseJobNamed } from "../../src/pipeline/phases.ts";
import { enqueue } from "../../src/queue/jobs.ts";
import { createTestDb, type TestDb } from "../support/db.ts";
import {
  type MessagesRequest,
  type ModelServer,
  roleOf,
  startModelServer,
} from "../support/fake-anthropic.ts";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.ts";
import { faultTest, since } from "../support/faults.ts";
import { removeFixtures, tempDir } from "../support/git-fixtures.ts";
import { freePort } from "../support/global-setup.ts";
import {
  cliEnv,
  GITHUB_TOKEN,
  MODEL_KEY,
  type PaulProcess,
  runPaul,
  sampleGitHubRemote,
  startPaul,
  waitFor,
} from "../support/harness.ts";
import { embeddedRunning } from "../support/pg-server.ts";
import { processesMatching } from "../support/procs.ts";
import { duplicatePosts, runsLost } from "../support/run-checks.ts";

// A `paul build` process killed or interrupted in each phase; `paul resume`
// must finish the run with nothing lost and nothing posted twice.

// A gate slow enough to be interrupted, named so its processes can be found.
const SLOW_GATE = "sleep 7.4242";

let db: TestDb;
let remote: Awaited<ReturnType<typeof sampleGitHubRemote>>;
let slow: Awaited<ReturnType<typeof sampleGitHubRemote>>;
let model: ModelServer;
let gh: FakeGitHub;
let onCall: { role: string; fn: () => Promise<void> } | undefined;

beforeAll(async () => {
  db = await createTestDb();
  remote = await sampleGitHubRemote();
  slow = await sampleGitHubRemote("slowgates", {
    "paul.gates.json": JSON.stringify({
      gates: { test: `${SLOW_GATE} && node --test`, lint: "node scripts/lint.js" },
    }),
  });
  gh = await startFakeGitHub({
    token: GITHUB_TOKEN,
    repos: {
      "acme/greetings": { bare: remote.bare, defaultBranch: "main" },
      "acme/slowgates": { bare: slow.bare, defaultBranch: "main" },
    },
  });
  model = await startModelServer({
    apiKey: MODEL_KEY,
    respond: async (req: MessagesRequest) => {
      const hook = onCall;
      if (hook && roleOf(req)?.startsWith(hook.role)) {
        onCall = undefined;
        await hook.fn();
      }
      return demoModel(req);
    },
  });
});

afterAll(async () => {
  await model.close();
  await gh.close();
  await removeFixtures();
});

function envFor(extra: Record<string, string> = {}) {
  return cliEnv({
    dbUrl: db.url,
    modelUrl: model.url,
    githubWebUrl: remote.webUrl,
    extra: { GITHUB_TOKEN, GITHUB_API_URL: gh.url, ...extra },
  });
}

async function latestRunId(): Promise<string> {
  const r = await db.pool.query<{ id: string }>(
    "select id from runs order by created_at desc limit 1",
  );
  return r.rows[0]?.id ?? "";
}

async function invariants(id: string) {
  const prs = gh.pulls.filter((p) => p.head.ref.includes(id)).length;
  const dup = (await duplicatePosts(db.pool, id)) + Math.max(0, prs - 1);
  const lost = await runsLost(db.pool, [id]);
  expect(prs).toBe(1);
  expect(dup).toBe(0);
  expect(lost).toBe(0);
  return { dup, lost };
}

for (const [phase, role] of [
  ["analysis", "analysis"],
  ["approaches", "approaches"],
  ["judging", "judge-"],
  ["implementation", "coder"],
] as const) {
  faultTest(`\`paul build\` killed (SIGKILL) during ${phase}, then \`paul resume\``, async () => {
    const env = await envFor();
    let p: PaulProcess | undefined;
    onCall = {
      role,
      fn: async () => {
        p?.kill("SIGKILL");
        await p?.done;
      },
    };
    p = startPaul(["build", "add x", "--repo", "acme/greetings", "--yes"], env);
    const killed = await p.done;
    expect(killed.signal).toBe("SIGKILL");
    const id = await latestRunId();
    const t = performance.now();
    const res = await runPaul(["resume", id, "--yes"], env);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.code, res.stderr).toBe(0);
    const { dup, lost } = await invariants(id);
    return {
      outcome: "resume finished the run; the killed step ran again, nothing twice",
      recoverMs: since(t),
      runsLost: lost,
      duplicatePosts: dup,
    };
  });
}

faultTest("Ctrl-C during a model call (judging)", async () => {
  const env = await envFor();
  let p: PaulProcess | undefined;
  let answer: () => void = () => {};
  onCall = {
    role: "judge-",
    fn: async () => {
      p?.kill("SIGINT");
      // The call stays unanswered: the agent has to be aborted, not waited for.
      await new Promise<void>((r) => {
        answer = r;
      });
    },
  };
  const t = performance.now();
  p = startPaul(["build", "add x", "--repo", "acme/greetings", "--yes"], env);
  const res = await p.done;
  const stoppedIn = since(t);
  answer();
  expect(res.code, res.stderr).toBe(130);
  expect(res.stderr).toMatch(/Interrupted\. Nothing is lost: continue with `paul resume r-\w+`/);
  const id = await latestRunId();
  const resumed = await runPaul(["resume", id, "--yes"], env);
  expect(resumed.code, resumed.stderr).toBe(0);
  const { dup, lost } = await invariants(id);
  return {
    outcome: `exit 130 (whole build ${Math.round(stoppedIn / 1000)} s), agent aborted; resume finished`,
    recoverMs: null,
    runsLost: lost,
    duplicatePosts: dup,
  };
});

faultTest(
  "Ctrl-C while a gate runs (embedded Postgres)",
  async () => {
    const home = await tempDir("paul-home-");
    const env: Record<string, string> = await envFor({
      PAUL_HOME: home,
      PAUL_PG_PORT: String(await freePort()),
    });
    delete env.DATABASE_URL;
    env.GITHUB_URL = slow.webUrl;
    const p = startPaul(["build", "add x", "--repo", "acme/slowgates", "--yes"], env);
    await waitFor(
      "the slow gate to start",
      async () => processesMatching(SLOW_GATE).length > 0,
      120_000,
    );
    const t = performance.now();
    p.kill("SIGINT");
    const res = await p.done;
    const stopMs = since(t);
    expect(res.code, res.stderr).toBe(130);
    // The gate's whole process tree is gone, and so is the embedded server.
    expect(processesMatching(SLOW_GATE)).toEqual([]);
    expect(await embeddedRunning(home)).toBe(false);
    // The run is in the embedded database: resume starts it again and finishes.
    const id = /paul resume (r-\w+)/.exec(res.stderr)?.[1] ?? "";
    const resumed = await runPaul(["resume", id, "--yes"], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain("Run done");
    expect(await embeddedRunning(home)).toBe(false);
    return {
      outcome: `stopped in ${(stopMs / 1000).toFixed(1)} s: gate tree killed, embedded Postgres stopped; resume finished`,
      recoverMs: null,
      runsLost: 0,
      duplicatePosts: gh.pulls.filter((x) => x.head.ref.includes(id)).length === 1 ? 0 : 1,
    };
  },
  240_000,
);

faultTest(
  "a run waits for a decision with jobs queued; an unrelated `paul build` leaves them",
  async () => {
    const env = await envFor();
    // Run A stops at its first question (stdin closed): exit 3.
    const a = await runPaul(["build", "feature A", "--repo", "acme/greetings"], env, "");
    expect(a.code, a.stderr).toBe(3);
    const runA = await latestRunId();
    // A job of A's queued, as a worker elsewhere would pick up.
    await enqueue(db.pool, phaseJobNamed("approaches"), { runId: runA, revision: 7 });
    const b = await runPaul(["build", "feature B", "--repo", "acme/greetings", "--yes"], env);
    expect(b.code, b.stderr).toBe(0);
    const runB = await latestRunId();
    expect(runB).not.toBe(runA);
    const left = await db.pool.query<{ attempts: number }>(
      "select attempts from graphile_worker._private_jobs where key = $1",
      [`${runA}:approaches:7`],
    );
    expect(left.rows).toEqual([{ attempts: 0 }]);
    const { dup, lost } = await invariants(runB);
    return {
      outcome: "B finished; A's job untouched (0 attempts), waiting for its own process",
      recoverMs: null,
      runsLost: lost,
      duplicatePosts: dup,
    };
  },
  180_000,
);

test("`paul resume` of a run whose job another live process holds says so, and leaves it to that process", async () => {
  const env = await envFor();
  let release: () => void = () => {};
  let heldCall: () => void = () => {};
  const holding = new Promise<void>((r) => {
    heldCall = r;
  });
  onCall = {
    role: "analysis",
    fn: async () => {
      heldCall();
      await new Promise<void>((r) => {
        release = r;
      });
    },
  };
  const build = startPaul(["build", "add x", "--repo", "acme/greetings", "--yes"], env);
  await holding;
  const id = await latestRunId();
  const resume = startPaul(["resume", id], env, "");
  await waitFor("the resume to say who holds the job", async () =>
    resume.stdout().includes("running in another Paul process"),
  );
  expect(resume.stdout()).toMatch(
    /1 job\(s\) of this run are running in another Paul process \([^,]+, pid \d+\)/,
  );
  release();
  // The build's own process finishes the run; the resume follows it to the end.
  const b = await build.done;
  expect(b.code, b.stderr).toBe(0);
  const r = await resume.done;
  expect([0, 3]).toContain(r.code);
  await invariants(id);
}, 180_000);
