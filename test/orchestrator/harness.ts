import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect } from "vitest";
import { createModelClient } from "../../src/agents/index.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import { type CtaRow, type Decision, pendingCta } from "../../src/db/ctas.ts";
import { getPhaseResult, savePhaseResult } from "../../src/db/phases.ts";
import type { Pool } from "../../src/db/pool.ts";
import { withTransaction } from "../../src/db/pool.ts";
import { insertRun, newRunId, type RunRow, requireRun, updateRun } from "../../src/db/runs.ts";
import { type AttemptRow, listAttempts, listTasks, type TaskRow } from "../../src/db/tasks.ts";
import { discoverGates } from "../../src/gates/discover.ts";
import { resolveCta } from "../../src/pipeline/cta.ts";
import type { Deps } from "../../src/pipeline/deps.ts";
import { enqueuePhase } from "../../src/pipeline/flow.ts";
import type { ImplementationOutput } from "../../src/pipeline/implementation/schema.ts";
import { startWorker, type WorkerHandle } from "../../src/worker.ts";
import { type ModelServer, startModelServer } from "../support/fake-anthropic.ts";
import { makeRemote, type RemoteFixture } from "../support/git-fixtures.ts";
import { type Call, KEY, projectFiles, type Script, scriptedModel } from "./script.ts";

export * from "./script.ts";

export interface Harness {
  pool: Pool;
  cfg: Config;
  deps: Deps;
  fx: RemoteFixture;
  server: ModelServer;
  calls: Call[];
  runId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  settle(): Promise<RunRow>;
  tasks(): Promise<TaskRow[]>;
  attempts(): Promise<AttemptRow[]>;
  pending(): Promise<CtaRow | undefined>;
  answer(d: Decision): Promise<void>;
  /** The implementation phase's stored output. */
  result(): Promise<ImplementationOutput>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export interface HarnessOptions {
  pool: Pool;
  dbUrl: string;
  script: Script;
  conditions?: string[];
  files?: Record<string, string>;
  env?: Record<string, string>;
}

/** A run seeded up to the implementation phase (analysis, approaches and judging stored), with its job queued. */
export async function harness(o: HarnessOptions): Promise<Harness> {
  const calls: Call[] = [];
  const server = await startModelServer({ apiKey: KEY, respond: scriptedModel(o.script, calls) });
  cleanups.push(() => server.close());
  const fx = await makeRemote(o.files ?? projectFiles());
  const home = await mkdtemp(join(tmpdir(), "paul-orch-home-"));
  const cfg = loadConfig(
    {
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: server.url,
      PAUL_HOME: home,
      DATABASE_URL: o.dbUrl,
      PAUL_WORKER_STALE_SECONDS: "2",
      PAUL_MAX_CODER_ATTEMPTS: "4",
      PAUL_MODEL_CODER_CHEAP: "cheap-model",
      PAUL_MODEL_CODER_STRONG: "strong-model",
      PAUL_MODEL_REVIEWER: "reviewer-model",
      ...o.env,
    },
    "worker",
  );
  const deps: Deps = {
    cfg,
    pool: o.pool,
    model: () =>
      createModelClient({ apiKey: KEY, baseURL: server.url, maxRetries: 2, retryDelayMs: 5 }),
    github: () => {
      throw new Error("no GitHub in these tests");
    },
  };
  const runId = await seedRun(o.pool, fx, o.conditions ?? []);
  let worker: WorkerHandle | undefined;
  const stop = async () => {
    await worker?.stop();
    worker = undefined;
  };
  cleanups.push(async () => {
    await stop();
    // Nothing of this test may run in the next one's worker.
    await o.pool.query("delete from graphile_worker._private_jobs");
  });
  return {
    pool: o.pool,
    cfg,
    deps,
    fx,
    server,
    calls,
    runId,
    async start() {
      worker = await startWorker(deps, { concurrency: 4 });
    },
    stop,
    settle: () => settle(o.pool, runId),
    tasks: () => listTasks(o.pool, runId),
    attempts: () => listAttempts(o.pool, runId),
    pending: () => pendingCta(o.pool, runId),
    async result() {
      return (await getPhaseResult(o.pool, runId, "implementation"))
        ?.output as ImplementationOutput;
    },
    async answer(d) {
      const cta = await pendingCta(o.pool, runId);
      expect(cta, "a pending question").toBeDefined();
      await resolveCta(o.pool, cta!.id, d, "tester");
    },
  };
}

async function seedRun(pool: Pool, fx: RemoteFixture, conditions: string[]): Promise<string> {
  const id = newRunId();
  const gates = await discoverGates(fx.work);
  const approach = (name: string) => ({
    name,
    summary: `${name}.`,
    steps: ["do it"],
    files: ["src/add.mjs"],
    risks: [],
    effort: "M",
  });
  await withTransaction(pool, async (tx) => {
    await insertRun(tx, {
      id,
      feature: "Add arithmetic helpers",
      repoSpec: fx.bare,
      repoUrl: fx.bare,
      repoKey: `path:${fx.bare}`,
      baseBranch: "main",
      baseCommit: fx.initial,
      origin: "cli",
      requester: "tester",
      budgetUsd: 10,
      budgetTokens: 5_000_000,
      gates,
    });
    await savePhaseResult(tx, id, "analysis", 0, {
      summary: "A small ES-module library.",
      relevantFiles: [{ path: "src/add.mjs", why: "the style to follow" }],
      constraints: ["no var"],
      risks: [],
      openQuestions: [],
    });
    await savePhaseResult(tx, id, "approaches", 0, {
      approaches: [approach("Helpers in modules"), approach("One big file")],
    });
    await savePhaseResult(tx, id, "judging", 0, {
      approachIndex: 0,
      approachName: "Helpers in modules",
      verdict: conditions.length > 0 ? "pass_with_conditions" : "pass",
      conditions,
      judges: (["correctness", "risk"] as const).map((lens) => ({
        lens,
        verdict: "pass" as const,
        scores: { correctness: 4, fit: 4, risk: 4, testability: 4 },
        conditions: [],
        rationale: "Fine.",
      })),
    });
    await updateRun(tx, id, { phase: "implementation" });
    await enqueuePhase(tx, id, "implementation");
  });
  return id;
}

/** Until the run waits for a person or ends, and none of its jobs is queued or running. */
export async function settle(pool: Pool, runId: string, timeoutMs = 50_000): Promise<RunRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await requireRun(pool, runId);
    const jobs = await pool.query(
      "select 1 from graphile_worker._private_jobs where key like $1 and attempts < max_attempts",
      [`${runId}:%`],
    );
    if (run.status !== "running" && jobs.rowCount === 0) return run;
    if (Date.now() > deadline) {
      const events = await pool.query<{ kind: string; data: unknown }>(
        "select kind, data from run_events where run_id = $1 order by id",
        [runId],
      );
      throw new Error(
        `run ${runId} did not settle (${run.status}):\n${events.rows.map((e) => `${e.kind} ${JSON.stringify(e.data)}`).join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
