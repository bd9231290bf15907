import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { getPhaseResult } from "../../src/db/phases.ts";
import { withTransaction } from "../../src/db/pool.ts";
import { updateRun } from "../../src/db/runs.ts";
import { enqueuePhase } from "../../src/pipeline/flow.ts";
import type { ImplementationOutput } from "../../src/pipeline/implementation/schema.ts";
import { gitOut } from "../../src/workspace/git.ts";
import { workspacePaths } from "../../src/workspace/paths.ts";
import { createTestDb } from "../support/db.ts";
import type { ScriptedTurn } from "../support/fake-anthropic.ts";
import { removeFixtures } from "../support/git-fixtures.ts";
import { CALC, MUL, SUB } from "./fixtures.ts";
import { type CoderCall, harness, KEY, settle, task, writes } from "./harness.ts";

afterAll(removeFixtures);
const db = await createTestDb();
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill("SIGKILL");
      await new Promise((r) => c.once("exit", r));
    }
  }
});

/** A real `paul worker` process with its own work directory, sharing only Postgres and the remote. */
async function worker(
  home: string,
  modelUrl: string,
): Promise<{ proc: ChildProcess; log: () => string }> {
  let log = "";
  const proc = spawn(process.execPath, ["src/cli/main.ts", "worker", "--concurrency", "4"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? home,
      DATABASE_URL: db.url,
      PAUL_HOME: home,
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: modelUrl,
      PAUL_WORKER_STALE_SECONDS: "2",
      PAUL_TASK_CONCURRENCY: "3",
      PAUL_MODEL_CODER_CHEAP: "cheap-model",
      PAUL_MODEL_CODER_STRONG: "strong-model",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(proc);
  proc.stdout?.on("data", (d) => (log += d));
  proc.stderr?.on("data", (d) => (log += d));
  return { proc, log: () => log };
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 40_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("many machines", () => {
  it("a worker killed mid-wave is taken over by another with its own work directory; nothing merged is redone", async () => {
    let hung = false;
    let release: (t: ScriptedTurn) => void = () => {};
    const held = new Promise<ScriptedTurn>((r) => {
      release = r;
    });
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [
          task("T1", { title: "mul", files: ["src/mul.mjs", "test/mul.test.mjs"] }),
          task("T2", { title: "sub", files: ["src/sub.mjs", "test/sub.test.mjs"] }),
          task("T3", {
            title: "calc",
            files: ["src/calc.mjs", "test/calc.test.mjs"],
            dependsOn: ["T1", "T2"],
          }),
        ],
        coders: {
          // T1's first conversation never gets an answer while its worker lives.
          T1: (c: CoderCall) => {
            if (c.attempt === 1) {
              hung = true;
              return held;
            }
            return writes(MUL)(c);
          },
          T2: writes(SUB),
          T3: writes(CALC),
        },
      },
    });
    const [homeA, homeB] = [
      await mkdtemp(join(tmpdir(), "paul-a-")),
      await mkdtemp(join(tmpdir(), "paul-b-")),
    ];
    const a = await worker(homeA, h.server.url);
    const status = async (key: string) => (await h.tasks()).find((t) => t.task_key === key)?.status;
    await until(
      "T2 merged while T1 is mid-attempt",
      async () => hung && (await status("T2")) === "merged",
      40_000,
    ).catch((e) => {
      throw new Error(`${e.message}\nworker A:\n${a.log()}`);
    });
    expect((await h.attempts()).find((x) => x.status === "running")).toBeDefined();
    a.proc.kill("SIGKILL");
    await new Promise((r) => a.proc.once("exit", r));
    release({ content: [{ type: "text", text: "too late" }] });

    const b = await worker(homeB, h.server.url);
    const run = await settle(db.pool, h.runId, 60_000).catch((e) => {
      throw new Error(`${e.message}\nworker B:\n${b.log()}`);
    });
    expect(run.status).toBe("waiting");
    expect((await h.pending())?.kind).toBe("create_pr");

    const tasks = await h.tasks();
    expect(tasks.map((t) => `${t.task_key} ${t.status}`)).toEqual([
      "T1 merged",
      "T2 merged",
      "T3 merged",
    ]);
    const attempts = await h.attempts();
    const of = (k: string) =>
      attempts.filter((x) => x.task_id === tasks.find((t) => t.task_key === k)!.id);
    // The half-finished attempt is discarded and started again, not counted as a failure.
    expect(of("T1").map((x) => [x.attempt_no, x.status, x.ended_reason, x.model])).toEqual([
      [1, "discarded", "interrupted", "cheap-model"],
      [1, "passed", "gates_passed", "cheap-model"],
    ]);
    // T2 merged on the dead worker and is not redone.
    expect(of("T2")).toHaveLength(1);
    expect(h.calls.filter((c) => c.key === "T2" && c.turn === 0)).toHaveLength(1);
    const merges = (
      await gitOut(["log", "--format=%s", `refs/paul/${h.runId}/feature`], h.fx.bare)
    ).split("\n");
    expect(merges.filter((s) => s.startsWith("Merge ")).sort()).toEqual([
      "Merge T1: mul",
      "Merge T2: sub",
      "Merge T3: calc",
    ]);
    // What A did not finish, B rebuilt from Postgres and the remote in its own work directory.
    const pathsA = workspacePaths(join(homeA, "work"), h.runId);
    const pathsB = workspacePaths(join(homeB, "work"), h.runId);
    expect(existsSync(pathsB.taskDir("T1")) && existsSync(pathsB.taskDir("T3"))).toBe(true);
    expect(existsSync(pathsB.taskDir("T2")) || existsSync(pathsA.taskDir("T3"))).toBe(false);
    const result = (await getPhaseResult(db.pool, h.runId, "implementation"))!
      .output as ImplementationOutput;
    expect(result.totalCoderAttempts).toBe(3);
    expect(result.gateResults.every((g) => g.status === "passed")).toBe(true);
    b.proc.kill("SIGTERM");
  });
});

describe("resume", () => {
  it("a run that failed mid-task (the API refused the key) resumes from the last finished step", async () => {
    let hung = false;
    let release: (t: ScriptedTurn) => void = () => {};
    const held = new Promise<ScriptedTurn>((r) => {
      release = r;
    });
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [
          task("T1", { title: "mul", files: ["src/mul.mjs", "test/mul.test.mjs"] }),
          task("T2", { title: "sub", files: ["src/sub.mjs", "test/sub.test.mjs"] }),
        ],
        coders: {
          T1: (c: CoderCall) => {
            if (c.attempt === 1 && c.turn === 0) {
              hung = true;
              return held;
            }
            return writes(MUL)(c);
          },
          T2: writes(SUB),
        },
      },
    });
    await h.start();
    const status = async (key: string) => (await h.tasks()).find((t) => t.task_key === key)?.status;
    await until(
      "T2 merged while T1 is mid-attempt",
      async () => hung && (await status("T2")) === "merged",
    );
    // T1's next model call is the only one left: it is refused, which ends the run.
    h.server.failNext(401);
    release(writes(MUL)({ turn: 0 }));
    const failed = await h.settle();
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/^implementation failed: .*(key|auth)/i);

    // What `paul resume <run>` does when no job and no question is left.
    await withTransaction(db.pool, async (tx) => {
      await updateRun(tx, h.runId, { status: "running", error: null });
      await enqueuePhase(tx, h.runId, "implementation");
    });
    expect((await h.settle()).status).toBe("waiting");
    const tasks = await h.tasks();
    const attempts = await h.attempts();
    const of = (k: string) =>
      attempts.filter((x) => x.task_id === tasks.find((t) => t.task_key === k)!.id);
    expect(of("T1").map((x) => [x.status, x.ended_reason])).toEqual([
      ["discarded", "interrupted"],
      ["passed", "gates_passed"],
    ]);
    expect(of("T2")).toHaveLength(1);
    const merges = (
      await gitOut(["log", "--format=%s", `refs/paul/${h.runId}/feature`], h.fx.bare)
    ).split("\n");
    expect(merges.filter((m) => m.startsWith("Merge ")).sort()).toEqual([
      "Merge T1: mul",
      "Merge T2: sub",
    ]);
  });
});
