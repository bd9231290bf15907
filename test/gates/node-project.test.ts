import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverGates } from "../../src/gates/discover.ts";
import {
  formatGateFailure,
  type GateRun,
  type RunGatesOptions,
  runGates,
} from "../../src/gates/run.ts";
import { commandEnv, sandboxFor } from "../../src/workspace/paths.ts";
import { makeNodeFixture, removeFixtures, tempDir } from "../support/git-fixtures.ts";

afterAll(removeFixtures);

let workDir: string;
let opts: RunGatesOptions;

beforeAll(async () => {
  workDir = await tempDir("paul-work-");
  opts = {
    timeoutMs: 60_000,
    env: commandEnv({ sandboxHome: join(workDir, "home"), workDir }),
    redact: (s) => s,
  };
});

describe("runGates on a real Node project", () => {
  it("installs with npm ci offline and passes all four gates", async () => {
    const fx = await makeNodeFixture();
    const gates = await discoverGates(fx.work);
    const events: string[] = [];
    const run = await runGates(gates, fx.work, {
      ...opts,
      onGate: (g, s) => events.push(`${g}:${s}`),
    });
    expect(run.install?.status, run.install?.output).toBe("passed");
    expect(run.results.map((r) => [r.gate, r.status])).toEqual([
      ["typecheck", "passed"],
      ["test", "passed"],
      ["lint", "passed"],
      ["build", "passed"],
    ]);
    expect(run.passed).toBe(true);
    expect(run.results.find((r) => r.gate === "test")?.output).toMatch(/# pass 1/);
    expect(existsSync(join(fx.work, "dist/add.mjs"))).toBe(true);
    expect(events[0]).toBe("install:running");
    expect(events[1]).toBe("install:passed");
    expect(events.filter((e) => e.endsWith(":passed"))).toHaveLength(5);
  });

  it("fails the lint gate on `var` and the test gate on a wrong result", async () => {
    const fx = await makeNodeFixture({
      files: {
        "src/add.mjs": "export function add(a, b) {\n  var sum = a - b;\n  return sum;\n}\n",
      },
    });
    const run = await runGates(await discoverGates(fx.work), fx.work, opts);
    expect(run.passed).toBe(false);
    const by = Object.fromEntries(run.results.map((r) => [r.gate, r]));
    expect(by.lint?.status).toBe("failed");
    expect(by.lint?.output).toContain("src/add.mjs:2: use let or const, not var");
    expect(by.test?.status).toBe("failed");
    expect(by.test?.output).toMatch(/# fail 1/);
    expect(by.typecheck?.status).toBe("passed");
    const text = formatGateFailure(run);
    expect(text).toContain("### lint failed: `npm run lint`");
    expect(text).toContain("### test failed: `npm run test`");
    expect(text).not.toContain("typecheck");
  });

  it("works inside the sandbox with the homes hidden", async () => {
    const fx = await makeNodeFixture();
    const home = join(workDir, "sandboxed-home");
    const sandbox = sandboxFor({
      home: await tempDir(),
      workDir,
      root: fx.work,
      mirror: fx.bare,
      sandboxHome: home,
    });
    const run = await runGates(await discoverGates(fx.work), fx.work, {
      ...opts,
      env: commandEnv({ sandboxHome: home, workDir }),
      sandbox,
    });
    expect(run.passed, formatGateFailure(run)).toBe(true);
  });
});

describe("formatGateFailure", () => {
  const failed = (gate: "test" | "lint", output: string) => ({
    gate,
    status: "failed" as const,
    command: `npm run ${gate}`,
    output,
    durationMs: 1,
    timedOut: false,
    missing: false,
  });

  it("is empty when everything passed", () => {
    expect(formatGateFailure({ passed: true, results: [] })).toBe("");
  });

  it("fits several long failures into 8000 characters, keeping each one's tail", () => {
    const run: GateRun = {
      passed: false,
      results: [
        failed("test", `${"t".repeat(7000)}\nTEST-TAIL`),
        failed("lint", `${"l".repeat(7000)}\nLINT-TAIL`),
      ],
    };
    const text = formatGateFailure(run);
    expect(text.length).toBeLessThanOrEqual(8000);
    expect(text).toContain("### test failed");
    expect(text).toContain("### lint failed");
    expect(text).toContain("TEST-TAIL");
    expect(text).toContain("LINT-TAIL");
  });
});
