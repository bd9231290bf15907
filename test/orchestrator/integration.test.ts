import { afterAll, describe, expect, it } from "vitest";
import { getPhaseResult } from "../../src/db/phases.ts";
import { listGateResults } from "../../src/db/tasks.ts";
import type { ImplementationOutput } from "../../src/pipeline/implementation/schema.ts";
import { createTestDb } from "../support/db.ts";
import { removeFixtures } from "../support/git-fixtures.ts";
import { fn } from "./fixtures.ts";
import { harness, perAttempt, projectFiles, task, writes } from "./harness.ts";

afterAll(removeFixtures);
const db = await createTestDb();

/** A linter that passes each task alone but fails them merged: two modules export the same name. */
const UNIQUE_EXPORTS = [
  'import { readFileSync } from "node:fs";',
  'import { sources } from "./files.mjs";',
  "const seen = new Map();",
  "let bad = 0;",
  "for (const f of sources()) {",
  '  for (const m of readFileSync(f, "utf8").matchAll(/export function (\\w+)/g)) {',
  "    if (seen.has(m[1])) { console.error(f + ': ' + m[1] + ' is already exported by ' + seen.get(m[1])); bad++; }",
  "    else seen.set(m[1], f);",
  "  }",
  "}",
  "process.exit(bad ? 1 : 0);",
  "",
].join("\n");

const plan = [task("T1", { files: ["src/a.mjs"] }), task("T2", { files: ["src/b.mjs"] })];
const coders = {
  T1: writes({ "src/a.mjs": fn("helper", "a + b") }),
  T2: writes({ "src/b.mjs": fn("helper", "a - b") }),
};

describe("the integration gates after the last wave", () => {
  it("a failure there becomes a narrowly scoped fix task that repairs the feature branch", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      files: projectFiles({ "scripts/lint.mjs": UNIQUE_EXPORTS }),
      script: { plan, coders: { ...coders, F1: writes({ "src/b.mjs": fn("helperB", "a - b") }) } },
    });
    await h.start();
    expect((await h.settle()).status).toBe("waiting");
    expect((await h.pending())?.prompt).toBe("All gates pass. Create PR?");
    const tasks = await h.tasks();
    expect(tasks.map((t) => [t.task_key, t.kind, t.wave, t.status])).toEqual([
      ["T1", "task", 1, "merged"],
      ["T2", "task", 1, "merged"],
      ["F1", "fix", 2, "merged"],
    ]);
    const fix = tasks[2]!;
    expect(fix.files).toEqual(["src/a.mjs", "src/b.mjs"]);
    expect(fix.max_attempts).toBe(3);
    const prompt = h.calls.find((c) => c.key === "F1")!.prompt;
    expect(prompt).toContain("merged together the full gates fail on the feature branch");
    expect(prompt).toMatch(/src\/[ab]\.mjs: helper is already exported by src\/[ab]\.mjs/);
    const integration = (await listGateResults(db.pool, h.runId)).filter(
      (g) => g.scope === "integration" && g.gate === "lint",
    );
    expect(integration.map((g) => g.status)).toEqual(["failed", "passed"]);
    const r = (await getPhaseResult(db.pool, h.runId, "implementation"))!
      .output as ImplementationOutput;
    expect(r.waves).toBe("Wave 1: T1, T2 (parallel) → Wave 2: F1");
    expect(r.gateResults.every((g) => g.status === "passed")).toBe(true);
    expect(r.totalCoderAttempts).toBe(3);
  });

  it("a fix task that fails its three attempts pauses; skipping it offers the PR with the failing gates named", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      files: projectFiles({ "scripts/lint.mjs": UNIQUE_EXPORTS }),
      script: {
        plan,
        coders: { ...coders, F1: perAttempt(writes({ "src/c.mjs": fn("other", "a") })) },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("paused");
    const fix = (await h.tasks()).find((t) => t.task_key === "F1")!;
    expect(fix.status).toBe("failed");
    expect((await h.attempts()).filter((a) => a.task_id === fix.id)).toHaveLength(3);
    await h.answer({ action: "skip" });
    expect((await h.settle()).status).toBe("waiting");
    expect((await h.pending())?.prompt).toBe(
      "The full gates fail on the feature branch (lint) and no fix task could repair them. Create PR anyway?",
    );
    const r = (await getPhaseResult(db.pool, h.runId, "implementation"))!
      .output as ImplementationOutput;
    expect(r.gateResults.find((g) => g.gate === "lint")?.status).toBe("failed");
    expect(r.skipped.map((s) => s.key)).toEqual(["F1"]);
  });
});
