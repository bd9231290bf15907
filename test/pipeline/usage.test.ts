import { beforeAll, expect, test } from "vitest";
import { getRun, insertRun, updateRun } from "../../src/db/runs.ts";
import { usageSink } from "../../src/pipeline/usage.ts";
import { createTestDb, type TestDb } from "../support/db.ts";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});

const call = {
  model: "claude-sonnet-5-5",
  role: "coder",
  inputTokens: 1000,
  outputTokens: 100,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0.5,
  latencyMs: 10,
};

test("the budget is checked against the run as it is now: raising it mid-job lets the job go on", async () => {
  const run = await insertRun(db.pool, {
    id: "r-budget1",
    feature: "f",
    repoSpec: "x",
    repoUrl: "x",
    repoKey: "path:/x",
    baseBranch: "main",
    origin: "cli",
    requester: "me",
    budgetUsd: 1,
    budgetTokens: 1_000_000,
  });
  const sink = usageSink(db.pool, run, "implementation");
  await sink.beforeCall();
  await sink.record(call);
  await sink.record(call);
  await expect(sink.beforeCall()).rejects.toThrow(
    /Budget reached for run r-budget1: \$1\.00 of \$1\.00/,
  );
  await updateRun(db.pool, run.id, { budget_usd: "5" });
  await expect(sink.beforeCall()).resolves.toBeUndefined();
  const rows = await db.pool.query(
    "select phase, role, cost_usd from llm_usage where run_id = $1",
    [run.id],
  );
  expect(rows.rows).toEqual([
    { phase: "implementation", role: "coder", cost_usd: "0.500000" },
    { phase: "implementation", role: "coder", cost_usd: "0.500000" },
  ]);
});

test("a cancelled run stops its agents at their next call", async () => {
  const run = await insertRun(db.pool, {
    id: "r-cancel1",
    feature: "f",
    repoSpec: "x",
    repoUrl: "x",
    repoKey: "path:/x",
    baseBranch: "main",
    origin: "cli",
    requester: "me",
    budgetUsd: 10,
    budgetTokens: 1_000_000,
  });
  const sink = usageSink(db.pool, run, "implementation");
  await sink.beforeCall();
  await updateRun(db.pool, run.id, { status: "cancelled" });
  await expect(sink.beforeCall()).rejects.toMatchObject({ code: "cancelled" });
  expect((await getRun(db.pool, run.id))?.status).toBe("cancelled");
});
