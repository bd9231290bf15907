import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { requireRun } from "../../src/db/runs.ts";
import { PaulError } from "../../src/errors.ts";
import { ANALYSIS } from "../../src/pipeline/analysis/schema.ts";
import { phaseContext } from "../../src/pipeline/context.ts";
import { guardJob } from "../../src/pipeline/job.ts";
import { cancelRun } from "../../src/pipeline/run.ts";
import { gitOut } from "../../src/workspace/git.ts";
import { workspacePaths } from "../../src/workspace/paths.ts";
import { ensureMirror, resolveRepoSpec } from "../../src/workspace/repo.ts";
import { createWorktree } from "../../src/workspace/worktree.ts";
import { createTestDb } from "../support/db.ts";
import { makeRemote, removeFixtures, tempDir } from "../support/git-fixtures.ts";
import { attempt, jobDeps, seedRun } from "./git-support.ts";

afterAll(removeFixtures);
const db = await createTestDb();

async function setup() {
  const fx = await makeRemote({ "a.txt": "a\n" });
  const deps = jobDeps(db.pool, db.url, await tempDir("paul-home-"));
  const ref = resolveRepoSpec(fx.bare, { githubWebUrl: "https://github.com", cwd: "/" });
  const mirror = await ensureMirror(ref, deps.cfg.workDir);
  /** A run with the worktrees an implementation leaves: base, feature branch, two tasks. */
  const runWithWorktrees = async () => {
    const run = await seedRun(db.pool, fx.bare, fx.initial);
    const p = workspacePaths(deps.cfg.workDir, run.id);
    await createWorktree(mirror, p.baseDir, `paul-base/${run.id}`, fx.initial);
    await createWorktree(mirror, p.implDir, `paul/${run.id}/merge`, fx.initial);
    for (const t of ["T1", "T2"])
      await createWorktree(mirror, p.taskDir(t), `paul/${run.id}/tasks/${t}`, fx.initial);
    return { run, paths: p };
  };
  const worktrees = () => gitOut(["worktree", "list", "--porcelain"], mirror);
  const branches = () => gitOut(["for-each-ref", "--format=%(refname)", "refs/heads"], mirror);
  return { fx, deps, mirror, runWithWorktrees, worktrees, branches };
}

describe("a finished run's worktrees", () => {
  it("are removed, with their branches, when the run fails at the job boundary; other runs keep theirs", async () => {
    const s = await setup();
    const failing = await s.runWithWorktrees();
    const other = await s.runWithWorktrees();
    await guardJob(s.deps, failing.run.id, "implementation", attempt(1), async () => {
      throw new PaulError("budget_exhausted", "The run's budget is spent.");
    });
    expect((await requireRun(db.pool, failing.run.id)).status).toBe("failed");
    expect(existsSync(failing.paths.runDir)).toBe(false);
    expect(await s.worktrees()).not.toContain(failing.run.id);
    expect(await s.branches()).not.toContain(failing.run.id);
    // The run still waiting keeps everything.
    expect(existsSync(other.paths.taskDir("T1"))).toBe(true);
    expect(await s.branches()).toContain(`refs/heads/paul/${other.run.id}/tasks/T1`);
  });

  it("of a run cancelled while it waited are removed by the next job to end on the machine", async () => {
    const s = await setup();
    const cancelled = await s.runWithWorktrees();
    const busy = await s.runWithWorktrees();
    await cancelRun(db.pool, cancelled.run.id, "tester");
    await guardJob(s.deps, busy.run.id, "analysis", attempt(1), async () => {});
    expect(existsSync(cancelled.paths.runDir)).toBe(false);
    expect(await s.worktrees()).not.toContain(cancelled.run.id);
    expect(existsSync(busy.paths.baseDir)).toBe(true);
  });

  it("of a failed run come back when it is resumed: the phase rebuilds its checkout", async () => {
    const s = await setup();
    const failed = await s.runWithWorktrees();
    await guardJob(s.deps, failed.run.id, "analysis", attempt(5, 5), async () => {
      throw new PaulError("model_unavailable", "The model is down.");
    });
    expect(existsSync(failed.paths.runDir)).toBe(false);
    // `paul resume` sets it running again; the phase's checkout makes the worktree anew.
    await db.pool.query("update runs set status = 'running' where id = $1", [failed.run.id]);
    const run = await requireRun(db.pool, failed.run.id);
    const co = await phaseContext(
      s.deps,
      run,
      ANALYSIS,
      1,
      new AbortController().signal,
    ).checkout();
    expect(co.dir).toBe(failed.paths.baseDir);
    expect(await gitOut(["rev-parse", "HEAD"], co.dir)).toBe(s.fx.initial);
    // A job of the running run ending does not sweep it.
    await guardJob(s.deps, failed.run.id, "analysis", attempt(1), async () => {});
    expect(existsSync(co.dir)).toBe(true);
  });
});
