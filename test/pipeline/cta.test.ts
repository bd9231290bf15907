import { afterAll, beforeAll, expect, test } from "vitest";
import { insertCta } from "../../src/db/ctas.ts";
import { getRun } from "../../src/db/runs.ts";
import { isPaulError } from "../../src/errors.ts";
import { ANALYSIS } from "../../src/pipeline/analysis/schema.ts";
import { resolveCta } from "../../src/pipeline/cta.ts";
import { startRun } from "../../src/pipeline/flow.ts";
import { completePhase } from "../../src/pipeline/run.ts";
import { OPTIONS } from "../../src/pipeline/transitions.ts";
import { createTestDb, type TestDb } from "../support/db.ts";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {});

let n = 0;
async function runWaitingOnAnalysis() {
  const run = await startRun(db.pool, {
    id: `r-cta${n++}`,
    feature: "f",
    repoSpec: "acme/x",
    repoUrl: "file:///nowhere",
    repoKey: "github:acme/x",
    baseBranch: "main",
    baseCommit: "abc",
    origin: "cli",
    requester: "cli:alice",
    budgetUsd: 1,
    budgetTokens: 1000,
    gates: { source: "none", gates: [] },
  });
  await db.pool.query("delete from graphile_worker._private_jobs");
  await completePhase(
    db.pool,
    run,
    ANALYSIS,
    0,
    { summary: "s", relevantFiles: [], constraints: [], risks: [], openQuestions: [] },
    { kind: "approval", prompt: "Approve?", options: OPTIONS.approval },
  );
  const cta = (
    await db.pool.query("select id from ctas where run_id = $1 and status = 'pending'", [run.id])
  ).rows[0];
  return { run, ctaId: String(cta.id) };
}

const jobs = async (runId: string) =>
  (
    await db.pool.query("select task_identifier, key from graphile_worker.jobs where key like $1", [
      `${runId}:%`,
    ])
  ).rows;

test("20 concurrent resolutions of one CTA enqueue exactly one next job", async () => {
  const { run, ctaId } = await runWaitingOnAnalysis();
  const results = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) =>
      resolveCta(db.pool, ctaId, { action: "approve" }, `user-${i}`),
    ),
  );
  const ok = results.filter((r) => r.status === "fulfilled");
  expect(ok).toHaveLength(1);
  for (const r of results) {
    if (r.status === "rejected") expect(isPaulError(r.reason) && r.reason.code).toBe("cta_stale");
  }
  expect(await jobs(run.id)).toEqual([
    { task_identifier: "approaches", key: `${run.id}:approaches:0` },
  ]);
  const memories = await db.pool.query("select kind, content from memories where run_id = $1", [
    run.id,
  ]);
  expect(memories.rows).toHaveLength(1);
  expect((await getRun(db.pool, run.id))?.status).toBe("running");
});

test("a stale click says who decided; a cancelled run's question is closed", async () => {
  const { ctaId } = await runWaitingOnAnalysis();
  await resolveCta(db.pool, ctaId, { action: "approve" }, "alice");
  await expect(resolveCta(db.pool, ctaId, { action: "cancel" }, "bob")).rejects.toThrow(
    /already decided: alice chose "approve"/,
  );

  const second = await runWaitingOnAnalysis();
  await resolveCta(db.pool, second.ctaId, { action: "cancel" }, "alice");
  expect((await getRun(db.pool, second.run.id))?.status).toBe("cancelled");
  expect(await jobs(second.run.id)).toEqual([]);
});

test("revise stores the feedback as a memory and re-runs the phase as a new revision", async () => {
  const { run, ctaId } = await runWaitingOnAnalysis();
  await expect(
    resolveCta(db.pool, ctaId, { action: "revise", feedback: "  " }, "alice"),
  ).rejects.toThrow(/feedback can't be empty/);
  await resolveCta(
    db.pool,
    ctaId,
    { action: "revise", feedback: "Look at the CLI module too" },
    "alice",
  );
  expect(await jobs(run.id)).toEqual([
    { task_identifier: "analysis", key: `${run.id}:analysis:1` },
  ]);
  const m = await db.pool.query(
    "select kind, phase, content, author from memories where run_id = $1",
    [run.id],
  );
  expect(m.rows).toEqual([
    { kind: "feedback", phase: "analysis", content: "Look at the CLI module too", author: "alice" },
  ]);
});

test("a decision that is not one of the question's options is refused and changes nothing", async () => {
  const { run, ctaId } = await runWaitingOnAnalysis();
  await expect(resolveCta(db.pool, ctaId, { action: "override" }, "alice")).rejects.toThrow(
    /not one of this question's options/,
  );
  const cta = await db.pool.query("select status from ctas where id = $1", [ctaId]);
  expect(cta.rows[0].status).toBe("pending");
  expect(await jobs(run.id)).toEqual([]);
  // A retried job asking the same question gets the same row, not a second question.
  const again = await insertCta(db.pool, {
    runId: run.id,
    phase: "analysis",
    revision: 0,
    kind: "approval",
    prompt: "x",
    options: [],
  });
  expect(String(again.id)).toBe(ctaId);
});
