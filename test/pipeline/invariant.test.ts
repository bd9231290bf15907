import { beforeAll, expect, test } from "vitest";
import { requireRun } from "../../src/db/runs.ts";
import { invariant, PaulError } from "../../src/errors.ts";
import { guardJob } from "../../src/pipeline/job.ts";
import { attempt, jobDeps, seedRun } from "../faults/git-support.ts";
import { createTestDb, type TestDb } from "../support/db.ts";
import { tempDir } from "../support/git-fixtures.ts";

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});

test("a broken invariant is a bug, not weather: it is not retryable", () => {
  let caught: unknown;
  try {
    invariant(false, "a task was queued without a start commit");
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(PaulError);
  expect(caught).toMatchObject({ code: "invariant", retryable: false });
  expect(caught instanceof PaulError && caught.toUserText()).toMatch(/bug in Paul/);
});

test("at the job boundary a broken invariant stops the run on its first try, with no retry", async () => {
  const deps = jobDeps(db.pool, db.url, await tempDir("paul-home-"));
  const run = await seedRun(db.pool, "/nonexistent/repo", "abc");
  await guardJob(deps, run.id, "analysis", attempt(1, 3), async () => {
    invariant(false, "the analysis output does not fit its schema");
  });
  const after = await requireRun(db.pool, run.id);
  expect(after.status).toBe("failed");
  expect(after.error).toMatch(/Paul broke one of its own rules: the analysis output does not fit/);
  const kinds = (
    await db.pool.query<{ kind: string }>("select kind from run_events where run_id = $1", [run.id])
  ).rows.map((r) => r.kind);
  expect(kinds).not.toContain("retrying");
  expect(kinds).toContain("run_finished");
});
