import { beforeAll, expect, test } from "vitest";
import { showText } from "../../src/cli/commands.ts";
import { activeSeconds } from "../../src/db/job-time.ts";
import { insertRun } from "../../src/db/runs.ts";
import { PaulError } from "../../src/errors.ts";
import type { Deps } from "../../src/pipeline/deps.ts";
import { withNextStep } from "../../src/pipeline/job.ts";
import { runService } from "../../src/pipeline/service.ts";
import { usageSink } from "../../src/pipeline/usage.ts";
import { checklistText, foldEvents } from "../../src/slack/checklist.ts";
import { createTestDb, type TestDb } from "../support/db.ts";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});

const newRun = (id: string) =>
  insertRun(db.pool, {
    id,
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

/** A job's clock row, `from`..`to` seconds ago. */
async function jobTime(runId: string, from: number, to: number, ended = true): Promise<void> {
  await db.pool.query(
    `insert into run_job_time (run_id, started_at, seen_at, ended)
     values ($1, now() - make_interval(secs => $2), now() - make_interval(secs => $3), $4)`,
    [runId, from, to, ended],
  );
}

test("the time budget counts the time jobs worked: an hour waiting for a decision is not in it, parallel tasks count once", async () => {
  const run = await newRun("r-time1");
  // Analysis an hour ago (20 s), then two implementation tasks side by side (10 s and 15 s, overlapping).
  await jobTime(run.id, 3620, 3600);
  await jobTime(run.id, 60, 50);
  await jobTime(run.id, 55, 40);
  // A worker that died 10 minutes ago, last seen 5 s into its job: counted up to its last heartbeat.
  await jobTime(run.id, 600, 595, false);
  expect(await activeSeconds(db.pool, run.id)).toBeCloseTo(20 + 20 + 5, 0);
  // Showing a run needs only the database; the model and GitHub are never asked.
  const service = runService({ pool: db.pool } as Deps);
  expect(await showText(service, run.id, (s) => s)).toContain("time worked 0.8 min");

  const sink = usageSink(db.pool, run, "implementation", 1);
  await expect(sink.beforeCall()).resolves.toBeUndefined();
  // A job working right now (seen 2 s ago): its clock runs to now and takes the run past 1 minute.
  await jobTime(run.id, 30, 2, false);
  expect(await activeSeconds(db.pool, run.id)).toBeCloseTo(45 + 30, 0);
  await expect(sink.beforeCall()).rejects.toMatchObject({
    code: "budget_exhausted",
    message: expect.stringMatching(/its jobs have worked 1\.3 of 1 minutes/),
    hint: expect.stringContaining(
      "raise PAUL_BUDGET_MINUTES and continue with `paul resume r-time1`",
    ),
  });
});

test("a run's last words say what happens next: Paul stopped, and paul resume continues", () => {
  const temporary = withNextStep(
    new PaulError("model_overloaded", "The API is overloaded.", { hint: "usually temporary" }),
    "r-x",
    3,
  );
  expect(temporary.toUserText()).toBe(
    "The API is overloaded.\n→ usually temporary\n→ Paul tried 3 times and has stopped the run; when that is resolved, `paul resume r-x` continues it",
  );
  const permanent = withNextStep(new PaulError("model_auth", "Key refused."), "r-x", 1);
  expect(permanent.hint).toBe(
    "the run has stopped; when that is fixed, `paul resume r-x` continues it",
  );
  // A hint that already names the way on is not repeated.
  const budget = new PaulError("budget_exhausted", "Budget reached.", {
    hint: "raise it and continue with `paul resume r-x --budget-usd <n>`",
  });
  expect(withNextStep(budget, "r-x", 1)).toBe(budget);
});

test("the Slack header shows the wait for the model until the next sign of life", () => {
  const started = { kind: "phase_started", data: { phase: "analysis", revision: 0 } };
  const waiting = {
    kind: "model_waiting",
    data: { phase: "analysis", label: "analysis", seconds: 45 },
  };
  const text = checklistText(foldEvents([started, waiting]));
  expect(text).toContain("Analysis — _running · analysis: waiting for the model (45 s)_");
  const moved = { kind: "progress", data: { phase: "analysis", message: "analysis: view_file x" } };
  expect(checklistText(foldEvents([started, waiting, moved]))).not.toContain(
    "waiting for the model",
  );
});
