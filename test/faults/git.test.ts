import { existsSync } from "node:fs";
import { mkdir, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect } from "vitest";
import { requireRun } from "../../src/db/runs.ts";
import { isPaulError } from "../../src/errors.ts";
import { analysis } from "../../src/pipeline/analysis/index.ts";
import { ANALYSIS } from "../../src/pipeline/analysis/schema.ts";
import { phaseContext } from "../../src/pipeline/context.ts";
import { guardJob, runPhaseJob } from "../../src/pipeline/job.ts";
import { git, gitOut } from "../../src/workspace/git.ts";
import { ensureMirror, resolveRepoSpec } from "../../src/workspace/repo.ts";
import { createWorktree } from "../../src/workspace/worktree.ts";
import { createTestDb } from "../support/db.ts";
import { faultTest, since } from "../support/faults.ts";
import { makeRemote, removeFixtures, tempDir } from "../support/git-fixtures.ts";
import { attempt, busyRepository, jobDeps, seedRun } from "./git-support.ts";

afterAll(removeFixtures);
const db = await createTestDb();
const GH = "https://github.com";

const events = async (runId: string) =>
  (
    await db.pool.query<{ kind: string; data: { message?: string } }>(
      "select kind, data from run_events where run_id = $1 order by id",
      [runId],
    )
  ).rows;

describe("git faults", () => {
  faultTest("10 concurrent builds on one repository", async () => {
    const fx = await makeRemote({ "a.txt": "a\n" });
    const work = await tempDir();
    const start = performance.now();
    // Ten processes, each a worker preparing a run: clone or fetch, base and task worktrees, a removal.
    const results = await busyRepository(fx.bare, work, 10);
    const failed = results.filter((r) => r.code !== 0);
    expect(failed.map((r) => r.out)).toEqual([]);
    const mirror = results[0]!.out.trim();
    const list = await gitOut(["worktree", "list", "--porcelain"], mirror);
    for (let i = 0; i < 10; i++) {
      expect(list).toContain(join(work, "runs", `r-busy${i}`, "base"));
      expect(list).toContain(join(work, "runs", `r-busy${i}`, "tasks", "T1"));
      expect(list).not.toContain(join(`r-busy${i}`, "tasks", "T2"));
    }
    expect((await git(["fsck", "--no-progress"], mirror, { allowFail: true })).ok).toBe(true);
    // One mirror, no lock or half-made clone left beside it.
    expect(await readdir(join(work, "mirrors"))).toEqual([mirror.split("/").pop()]);
    return {
      outcome: `all 10 prepared (${since(start)} ms for all), mirror consistent`,
      recoverMs: null,
      runsLost: failed.length,
      duplicatePosts: 0,
    };
  });

  faultTest("git lock file left by another process", async () => {
    const fx = await makeRemote({ "a.txt": "a\n" });
    const work = await tempDir();
    const mirror = await ensureMirror(
      resolveRepoSpec(fx.bare, { githubWebUrl: GH, cwd: "/" }),
      work,
    );
    const heads = join(mirror, "refs", "heads", "paul-base");
    await mkdir(heads, { recursive: true });
    // A live git's lock, released a moment later: Paul waits for it.
    const held = join(heads, "r-held.lock");
    await writeFile(held, "");
    const waiting = createWorktree(
      mirror,
      join(work, "runs", "r-held", "base"),
      "paul-base/r-held",
      fx.initial,
    );
    await new Promise((r) => setTimeout(r, 300));
    await rm(held);
    const released = performance.now();
    await waiting;
    const recoverMs = since(released);
    // A dead git's lock, an hour old: Paul removes it.
    const dead = join(heads, "r-dead.lock");
    await writeFile(dead, "");
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(dead, hourAgo, hourAgo);
    await createWorktree(
      mirror,
      join(work, "runs", "r-dead", "base"),
      "paul-base/r-dead",
      fx.initial,
    );
    expect(existsSync(dead)).toBe(false);
    for (const id of ["r-held", "r-dead"])
      expect(await gitOut(["rev-parse", "HEAD"], join(work, "runs", id, "base"))).toBe(fx.initial);
    return {
      outcome: "waited for a held lock, removed a dead git's lock; both worktrees made",
      recoverMs,
      runsLost: 0,
      duplicatePosts: 0,
    };
  });

  faultTest("remote unreachable", async () => {
    const deps = jobDeps(db.pool, db.url, await tempDir("paul-home-"));
    // Not pinned yet, like a run from Slack: its first job clones.
    const run = await seedRun(db.pool, "file:///nonexistent/paul-gone.git", null);
    // Attempt 1 of 5: a permanent failure must not be sent back to the queue.
    await runPhaseJob(deps, analysis, { runId: run.id, revision: 0 }, attempt(1, 5));
    const after = await requireRun(db.pool, run.id);
    expect(after.status).toBe("failed");
    expect(after.error).toMatch(
      /^analysis failed: Could not clone file:\/\/\/nonexistent\/paul-gone\.git: .*does not appear to be a git repository/,
    );
    expect(after.error).toMatch(/→ Check the URL or path/);
    expect((await events(run.id)).map((e) => e.kind)).not.toContain("retrying");
    return {
      outcome: "run failed at once with git's reason and what to check; not retried",
      recoverMs: null,
      runsLost: 0,
      duplicatePosts: 0,
    };
  });

  faultTest("mirror corrupted", async () => {
    const fx = await makeRemote({ "a.txt": "a\n" });
    const deps = jobDeps(db.pool, db.url, await tempDir("paul-home-"));
    const ref = resolveRepoSpec(fx.bare, { githubWebUrl: GH, cwd: "/" });
    const mirror = await ensureMirror(ref, deps.cfg.workDir);
    // A tree object of the base commit truncated (a crash mid-write, a bad disk).
    const tree = await gitOut(["rev-parse", `${fx.initial}^{tree}`], mirror);
    const obj = join(mirror, "objects", tree.slice(0, 2), tree.slice(2));
    await rm(obj, { force: true });
    await writeFile(obj, "");
    const run = await seedRun(db.pool, fx.bare, fx.initial);
    const checkout = (n: number) =>
      guardJob(deps, run.id, "analysis", attempt(n, 5), async (signal) => {
        await phaseContext(deps, run, ANALYSIS, 0, signal).checkout();
      });
    const first = await checkout(1).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Sent back to the queue with a true message, the damaged mirror out of the way.
    expect(isPaulError(first) && [first.code, first.retryable]).toEqual(["mirror_damaged", true]);
    const retrying = (await events(run.id)).find((e) => e.kind === "retrying");
    expect(retrying?.data.message).toMatch(/the mirror .* is damaged/);
    expect(existsSync(obj)).toBe(false);
    const retried = performance.now();
    await checkout(2);
    const recoverMs = since(retried);
    expect((await requireRun(db.pool, run.id)).status).not.toBe("failed");
    const dir = join(deps.cfg.workDir, "runs", run.id, "base");
    expect(await gitOut(["rev-parse", "HEAD"], dir)).toBe(fx.initial);
    expect((await git(["fsck", "--no-progress"], mirror, { allowFail: true })).ok).toBe(true);
    return {
      outcome: "mirror set aside, job retried, cloned again, worktree made",
      recoverMs,
      runsLost: 0,
      duplicatePosts: 0,
    };
  });
});
