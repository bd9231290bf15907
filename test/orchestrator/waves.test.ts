import { afterAll, describe, expect, it } from "vitest";
import { follow } from "../../src/cli/follow.ts";
import { renderTasksEvent } from "../../src/cli/render.ts";
import type { TasksEvent } from "../../src/db/events.ts";
import type { AttemptRow } from "../../src/db/tasks.ts";
import { runService } from "../../src/pipeline/service.ts";
import { createTestDb } from "../support/db.ts";
import { removeFixtures } from "../support/git-fixtures.ts";
import { fn, MUL, SUB, testOf } from "./fixtures.ts";
import { type CoderCall, harness, task, writes } from "./harness.ts";

afterAll(removeFixtures);
const db = await createTestDb();

/** Holds each arriving caller until `n` have arrived (or a generous limit passes, so a broken run fails on its assertion). */
function barrier(n: number) {
  let arrived = 0;
  let open: () => void = () => {};
  const all = new Promise<void>((r) => {
    open = r;
  });
  return async () => {
    if (++arrived >= n) open();
    await Promise.race([all, new Promise((r) => setTimeout(r, 15_000))]);
  };
}

const overlaps = (a: AttemptRow, b: AttemptRow) =>
  a.started_at < b.finished_at! && b.started_at < a.finished_at!;

describe("waves", () => {
  it("runs two independent tasks of a wave at the same time, and merges both", async () => {
    const meet = barrier(2);
    const coder = (files: Record<string, string>) => async (c: CoderCall) => {
      if (c.turn === 0) await meet();
      return writes(files)(c);
    };
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [
          task("T1", { files: ["src/mul.mjs", "test/mul.test.mjs"] }),
          task("T2", { files: ["src/sub.mjs", "test/sub.test.mjs"] }),
        ],
        coders: { T1: coder(MUL), T2: coder(SUB) },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("waiting");
    expect((await h.tasks()).map((t) => t.status)).toEqual(["merged", "merged"]);
    const [a, b] = await h.attempts();
    expect(overlaps(a!, b!)).toBe(true);
  });

  it("runs at most the configured number of a wave's tasks at once", async () => {
    const active: number[] = [];
    const meet = barrier(2);
    let runId = "";
    const coder = (files: Record<string, string>) => async (c: CoderCall) => {
      if (c.turn === 0) {
        const r = await db.pool.query<{ n: number }>(
          "select count(*)::int as n from impl_tasks where run_id = $1 and status in ('queued', 'in_progress', 'validating')",
          [runId],
        );
        active.push(r.rows[0]!.n);
        await meet();
      }
      return writes(files)(c);
    };
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      env: { PAUL_TASK_CONCURRENCY: "2" },
      script: {
        plan: [
          task("T1", { files: ["src/mul.mjs"] }),
          task("T2", { files: ["src/sub.mjs"] }),
          task("T3", { files: ["src/div.mjs"] }),
        ],
        coders: {
          T1: coder(MUL),
          T2: coder(SUB),
          T3: coder({ "src/div.mjs": fn("div", "a / b") }),
        },
      },
    });
    runId = h.runId;
    await h.start();
    expect((await h.settle()).status).toBe("waiting");
    expect((await h.tasks()).map((t) => t.status)).toEqual(["merged", "merged", "merged"]);
    expect(active).toHaveLength(3);
    expect(Math.max(...active)).toBe(2);
  });

  it("never runs two tasks that share a file in scope at the same time", async () => {
    const shared = "src/ops.mjs";
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [
          task("T1", { files: [shared, "test/mul.test.mjs"] }),
          task("T2", { files: [shared, "test/sub.test.mjs"] }),
        ],
        coders: {
          T1: writes({
            [shared]: fn("mul", "a * b"),
            "test/mul.test.mjs": testOf("mul", "ops.mjs", "mul(2, 3)", 6),
          }),
          // T2 starts after T1 merged, from a feature branch that has mul in the shared file.
          T2: writes({
            [shared]: `${fn("mul", "a * b")}${fn("sub", "a - b")}`,
            "test/sub.test.mjs": testOf("sub", "ops.mjs", "sub(5, 3)", 2),
          }),
        },
      },
      env: { PAUL_TASK_CONCURRENCY: "3" },
    });
    await h.start();
    expect((await h.settle()).status).toBe("waiting");
    const tasks = await h.tasks();
    expect(tasks.map((t) => [t.wave, t.status])).toEqual([
      [1, "merged"],
      [1, "merged"],
    ]);
    const [a, b] = await h.attempts();
    expect(overlaps(a!, b!)).toBe(false);
    expect(tasks[1]!.started_at! >= tasks[0]!.finished_at!).toBe(true);
    // The second starts from the feature branch with the first merged: no conflict.
    expect(tasks[1]!.start_commit).not.toBe(tasks[0]!.start_commit);
  });

  it("shows the wave table with each task's status as it changes", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [
          task("T1", { files: ["src/mul.mjs"] }),
          task("T2", { files: ["src/sub.mjs"], dependsOn: ["T1"], size: "XS" }),
        ],
        coders: { T1: writes(MUL), T2: writes(SUB) },
      },
    });
    await h.start();
    await h.settle();
    const events = (
      await db.pool.query<{ data: TasksEvent }>(
        "select data from run_events where run_id = $1 and kind = 'tasks' order by id",
        [h.runId],
      )
    ).rows.map((r) => r.data);
    expect(events[0]?.change).toBe("plan");
    expect(renderTasksEvent(events[0]!)).toBe(
      "  Plan: Wave 1: T1 → Wave 2: T2\n  T1 [S] Task T1\n  T2 [XS] Task T2 (after T1)\n",
    );
    // What `paul build` prints while following the run.
    let printed = "";
    const end = await follow(
      { deps: h.deps, service: runService(h.deps) },
      h.runId,
      { out: (t) => (printed += t), answer: async () => "leave", who: "tester" },
      true,
    );
    expect(end.left).toBe(true);
    expect(printed).toContain("  Plan: Wave 1: T1 → Wave 2: T2\n  T1 [S] Task T1\n");
    expect(printed).toContain("  │ Wave 1: T1 in progress (attempt 1/4)\n  │ Wave 2: T2 pending\n");
    expect(printed).toContain("  │ Wave 1: T1 merged\n  │ Wave 2: T2 merged\n");
    const lines = events.slice(1).map((e) => renderTasksEvent(e).trim());
    expect(lines).toEqual([
      "│ Wave 1: T1 in progress (attempt 1/4)\n  │ Wave 2: T2 pending",
      "│ Wave 1: T1 validating (attempt 1/4)\n  │ Wave 2: T2 pending",
      "│ Wave 1: T1 merged\n  │ Wave 2: T2 pending",
      "│ Wave 1: T1 merged\n  │ Wave 2: T2 in progress (attempt 1/4)",
      "│ Wave 1: T1 merged\n  │ Wave 2: T2 validating (attempt 1/4)",
      "│ Wave 1: T1 merged\n  │ Wave 2: T2 merged",
    ]);
  });
});
