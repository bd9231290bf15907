import { afterAll, beforeAll, expect } from "vitest";
import { DEMO_FEATURE, demoModel } from "../../src/demo/script.ts";
import { createTestDb, type TestDb } from "../support/db.ts";
import {
  type Fault,
  type ModelServer,
  roleOf,
  startModelServer,
} from "../support/fake-anthropic.ts";
import { faultTest } from "../support/faults.ts";
import { removeFixtures } from "../support/git-fixtures.ts";
import {
  cliEnv,
  MODEL_KEY,
  type PaulResult,
  runPaul,
  sampleGitHubRemote,
} from "../support/harness.ts";
import { duplicatePosts } from "../support/run-checks.ts";

/**
 * The model API breaking under a real `paul build`: a child process with its
 * own worker, the embedded queue, the sample repository and the model
 * stand-in. Each build runs the analysis and stops at its question (no
 * answers on stdin: exit 3), so "recovered" means the analysis was stored and
 * asked about exactly once.
 */
let db: TestDb;
let model: ModelServer;
let env: Record<string, string>;
/** The first analysis call sleeps this long before answering: how the time budget is spent. */
let slowFirstAnalysisMs = 0;

beforeAll(async () => {
  db = await createTestDb();
  const remote = await sampleGitHubRemote();
  model = await startModelServer({
    apiKey: MODEL_KEY,
    respond: async (req) => {
      if (slowFirstAnalysisMs > 0 && roleOf(req) === "analysis") {
        const ms = slowFirstAnalysisMs;
        slowFirstAnalysisMs = 0;
        await new Promise((r) => setTimeout(r, ms));
      }
      return demoModel(req);
    },
  });
  env = await cliEnv({
    dbUrl: db.url,
    modelUrl: model.url,
    githubWebUrl: remote.webUrl,
    // Small enough that every case ends in seconds; the notice at 0.6 s rounds to "1 s".
    extra: { PAUL_MODEL_IDLE_SECONDS: "1", PAUL_MODEL_NOTICE_SECONDS: "0.6" },
  });
});

afterAll(async () => {
  model.faultAlways(null);
  await model.close();
  await removeFixtures();
});

interface Built {
  res: PaulResult;
  runId: string;
  /** Requests the model server saw during this build. */
  requests: number;
  /** Index into the server's request/answer logs where this build began. */
  from: { request: number; answer: number };
  elapsedMs: number;
}

async function build(extra: Record<string, string> = {}): Promise<Built> {
  const from = { request: model.requests.length, answer: model.answerTimes.length };
  const started = performance.now();
  const res = await runPaul(["build", DEMO_FEATURE, "--repo", "acme/greetings"], {
    ...env,
    ...extra,
  });
  const elapsedMs = performance.now() - started;
  const latest = await db.pool.query<{ id: string }>(
    "select id from runs order by created_at desc limit 1",
  );
  return {
    res,
    runId: latest.rows[0]!.id,
    requests: model.requests.length - from.request,
    from,
    elapsedMs,
  };
}

/** From the first request of the build to the `n`th answer the server began to send (0-based). */
const recovery = (b: Built, n: number) =>
  Math.round(model.answerTimes[b.from.answer + n]! - model.requestTimes[b.from.request]!);

async function status(runId: string): Promise<string> {
  return (await db.pool.query("select status from runs where id = $1", [runId])).rows[0].status;
}

async function events(runId: string, kind: string): Promise<Record<string, unknown>[]> {
  const r = await db.pool.query<{ data: Record<string, unknown> }>(
    "select data from run_events where run_id = $1 and kind = $2 order by id",
    [runId, kind],
  );
  return r.rows.map((x) => x.data);
}

/** The analysis finished and its question is waiting: nothing was lost. */
async function expectAnalysisAsked(b: Built): Promise<void> {
  expect(b.res.code, b.res.stdout + b.res.stderr).toBe(3);
  expect(b.res.stdout).toContain("The run is waiting for a decision");
  expect(await status(b.runId)).toBe("waiting");
  expect(await events(b.runId, "phase_output")).toHaveLength(1);
  expect(await duplicatePosts(db.pool, b.runId)).toBe(0);
}

const ANALYSIS_CALLS = 2;

faultTest("model API accepts and never answers", async () => {
  model.faultNext({ kind: "hang" }, 2);
  const b = await build();
  await expectAnalysisAsked(b);
  // Two silent tries cut at 1 s, then the analysis' own calls.
  expect(b.requests).toBe(2 + ANALYSIS_CALLS);
  expect(b.res.stdout).toMatch(/… analysis: waiting for the model \(\d+ s\)/);
  // Paced: never more than one notice per 0.6 s of the whole build.
  const waits = await events(b.runId, "model_waiting");
  expect(waits.length).toBeGreaterThan(0);
  expect(waits.length).toBeLessThanOrEqual(Math.ceil(b.elapsedMs / 600));
  expect(waits[0]).toMatchObject({ phase: "analysis", label: "analysis" });
  return {
    outcome: "silence cut after 1 s, call tried again; analysis finished",
    recoverMs: recovery(b, 0),
    runsLost: 0,
    duplicatePosts: await duplicatePosts(db.pool, b.runId),
  };
});

faultTest("model stream stalls mid-answer", async () => {
  model.faultNext({ kind: "stall", afterEvents: 4 });
  const b = await build();
  await expectAnalysisAsked(b);
  expect(b.requests).toBe(1 + ANALYSIS_CALLS);
  return {
    outcome: "stalled stream cut after 1 s, call tried again; analysis finished",
    // Answer 0 is the stream that stalled; answer 1 the one that came whole.
    recoverMs: recovery(b, 1),
    runsLost: 0,
    duplicatePosts: await duplicatePosts(db.pool, b.runId),
  };
});

faultTest("model API resets the connection", async () => {
  model.faultNext({ kind: "reset" });
  model.faultNext({ kind: "reset", midStream: true });
  const b = await build();
  await expectAnalysisAsked(b);
  expect(b.requests).toBe(2 + ANALYSIS_CALLS);
  return {
    outcome: "reset before and during an answer, both retried; analysis finished",
    recoverMs: recovery(b, 1),
    runsLost: 0,
    duplicatePosts: await duplicatePosts(db.pool, b.runId),
  };
});

const failing = (s: 429 | 500 | 529, retryAfter?: number): Fault =>
  retryAfter === undefined
    ? { kind: "status", status: s }
    : { kind: "status", status: s, retryAfter };

faultTest("model API 429 then OK", async () => {
  model.faultNext(failing(429, 1), 2);
  const b = await build();
  await expectAnalysisAsked(b);
  expect(b.requests).toBe(2 + ANALYSIS_CALLS);
  // The SDK waited out retry-after inside one job attempt: no job retry was needed.
  expect(await events(b.runId, "retrying")).toEqual([]);
  return {
    outcome: "waited out retry-after (1 s) twice; analysis finished",
    recoverMs: recovery(b, 2),
    runsLost: 0,
    duplicatePosts: await duplicatePosts(db.pool, b.runId),
  };
});

faultTest("model API 500 twice then OK", async () => {
  model.faultNext(failing(500), 2);
  const b = await build();
  await expectAnalysisAsked(b);
  expect(b.requests).toBe(2 + ANALYSIS_CALLS);
  expect(await events(b.runId, "retrying")).toEqual([]);
  return {
    outcome: "retried with backoff; analysis finished",
    recoverMs: recovery(b, 2),
    runsLost: 0,
    duplicatePosts: await duplicatePosts(db.pool, b.runId),
  };
});

faultTest("model API 529 forever", async () => {
  model.faultAlways(failing(529, 1));
  const b = await build();
  model.faultAlways(null);
  expect(b.res.code, b.res.stdout + b.res.stderr).toBe(1);
  expect(await status(b.runId)).toBe("failed");
  // Bounded: the SDK's 1 + 4 tries in each of the analysis job's 3 attempts, then it stops.
  expect(b.requests).toBe(15);
  expect(await events(b.runId, "retrying")).toHaveLength(2);
  const [finished] = await events(b.runId, "run_finished");
  const message = String(finished?.message);
  expect(message).toContain(`The Anthropic API at ${model.url} is overloaded after 4 retries`);
  expect(message).toContain(
    `Paul tried 3 times and has stopped the run; when that is resolved, \`paul resume ${b.runId}\` continues it`,
  );
  expect(message).not.toMatch(/will (try|retry)/i);
  expect(b.res.stdout).toContain(`paul resume ${b.runId}`);
  expect(b.res.stdout).not.toContain(MODEL_KEY);

  // The hint is true: once the API answers, resume carries the run on.
  const resumed = await runPaul(["resume", b.runId], env);
  expect(resumed.code, resumed.stdout + resumed.stderr).toBe(3);
  expect(await status(b.runId)).toBe("waiting");
  expect(await events(b.runId, "phase_output")).toHaveLength(1);
  return {
    outcome: "3 job attempts × 5 tries, run failed naming paul resume; resume finished analysis",
    recoverMs: null,
    runsLost: 0,
    duplicatePosts: await duplicatePosts(db.pool, b.runId),
  };
});

faultTest("run exceeds PAUL_BUDGET_MINUTES", async () => {
  // 0.02 minutes is 1.2 s of working time; the first analysis answer alone takes 1.5 s.
  slowFirstAnalysisMs = 1500;
  // An idle timeout longer than that pause, so the slow answer is waited for, not cut.
  const b = await build({ PAUL_BUDGET_MINUTES: "0.02", PAUL_MODEL_IDLE_SECONDS: "10" });
  expect(b.res.code, b.res.stdout + b.res.stderr).toBe(1);
  expect(await status(b.runId)).toBe("failed");
  const [finished] = await events(b.runId, "run_finished");
  const message = String(finished?.message);
  expect(message).toMatch(
    new RegExp(
      `analysis failed: Time budget reached for run ${b.runId}: its jobs have worked \\d+\\.\\d of 0\\.02 minutes`,
    ),
  );
  expect(message).toContain(
    `raise PAUL_BUDGET_MINUTES and continue with \`paul resume ${b.runId}\``,
  );
  // Stopped at the next model call: the one after the slow answer was never made.
  expect(b.requests).toBe(1);

  const resumed = await runPaul(["resume", b.runId], { ...env, PAUL_BUDGET_MINUTES: "30" });
  expect(resumed.code, resumed.stdout + resumed.stderr).toBe(3);
  expect(await status(b.runId)).toBe("waiting");
  return {
    outcome: "run stopped at its 0.02-minute budget naming paul resume; resume with more went on",
    recoverMs: null,
    runsLost: 0,
    duplicatePosts: await duplicatePosts(db.pool, b.runId),
  };
});
