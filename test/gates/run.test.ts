import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatePlan } from "../../src/gates/discover.ts";
import { formatGateFailure, type RunGatesOptions, runGates } from "../../src/gates/run.ts";
import { makeRedactor } from "../../src/redact.ts";
import { commandEnv } from "../../src/workspace/paths.ts";
import { makeNodeFixture, removeFixtures, tempDir } from "../support/git-fixtures.ts";

afterAll(removeFixtures);

const _canSandbox =
  spawnSync("unshare", ["--mount", "--map-root-user", "true"], { stdio: "ignore" }).status === 0;

let workDir: string;
let opts: RunGatesOptions;

beforeAll(async () => {
  workDir = await tempDir("paul-work-");
  opts = {
    timeoutMs: 30_000,
    env: commandEnv({ sandboxHome: join(workDir, "home"), workDir }),
    redact: (s) => s,
  };
});

const plan = (gates: GatePlan["gates"], install?: string): GatePlan => ({
  source: "config",
  gates,
  ...(install ? { install } : {}),
});

/** Dead, or a zombie waiting for whichever init adopted it to reap it. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (!stat || / Z /.test(stat.slice(stat.lastIndexOf(")")))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function scratch(): Promise<string> {
  return tempDir("paul-gate-dir-");
}

describe("runGates", () => {
  it("reports a failing gate with its output and exit code", async () => {
    const run = await runGates(
      plan([{ gate: "test", command: "echo 'expected 2, got 3' >&2; exit 3" }]),
      await scratch(),
      opts,
    );
    expect(run.passed).toBe(false);
    expect(run.results[0]).toMatchObject({
      gate: "test",
      status: "failed",
      timedOut: false,
      missing: false,
    });
    expect(run.results[0]?.output).toContain("expected 2, got 3");
    expect(run.results[0]?.output).toContain("[exit code 3]");
  });

  it("kills a gate that runs past the timeout, with its children, and marks it timed out", async () => {
    const dir = await scratch();
    const run = await runGates(
      plan([{ gate: "test", command: "sleep 60 & echo $! > child.pid; echo started; wait" }]),
      dir,
      { ...opts, timeoutMs: 1000 },
    );
    expect(run.results[0]).toMatchObject({ status: "failed", timedOut: true, missing: false });
    expect(run.results[0]?.durationMs).toBeLessThan(10_000);
    expect(run.results[0]?.output).toMatch(/started[\s\S]*timed out after 1s/);
    const pid = Number(await readFile(join(dir, "child.pid"), "utf8"));
    expect(await gone(pid)).toBe(true);
  });

  it("uses the config file's timeout over the caller's", async () => {
    const p: GatePlan = { ...plan([{ gate: "test", command: "sleep 30" }]), timeoutMs: 500 };
    const run = await runGates(p, await scratch(), opts);
    expect(run.results[0]?.timedOut).toBe(true);
  });

  it("marks a command that does not exist as missing", async () => {
    const run = await runGates(
      plan([{ gate: "lint", command: "paul-no-such-linter --all" }]),
      await scratch(),
      opts,
    );
    expect(run.results[0]).toMatchObject({ status: "failed", missing: true, timedOut: false });
    expect(run.results[0]?.output).toMatch(/^Command not found: paul-no-such-linter --all/);
    expect(formatGateFailure(run)).toContain("lint failed (command not found)");
  });

  it("marks a missing package.json script as missing", async () => {
    const fx = await makeNodeFixture();
    const run = await runGates(
      plan([{ gate: "typecheck", command: "npm run no-such-script" }]),
      fx.work,
      opts,
    );
    expect(run.results[0]).toMatchObject({ status: "failed", missing: true });
  });

  it("keeps at most 8000 characters: head and tail with a marker", async () => {
    const cmd = `node -e 'console.log("HEAD-START"); console.log("x".repeat(100000)); console.log("TAIL-END")'`;
    const run = await runGates(plan([{ gate: "build", command: cmd }]), await scratch(), opts);
    const out = run.results[0]?.output ?? "";
    expect(run.results[0]?.status).toBe("passed");
    expect(out.length).toBeLessThanOrEqual(8000);
    expect(out.length).toBeGreaterThan(7000);
    expect(out.startsWith("HEAD-START")).toBe(true);
    expect(out.trimEnd().endsWith("TAIL-END")).toBe(true);
    expect(out).toMatch(/… \[\d+ characters cut\] …/);
  });

  it("runs independent gates at the same time", async () => {
    const span = (name: string) =>
      `node -e 'const s = Date.now(); setTimeout(() => console.log("${name}", s, Date.now()), 1000)'`;
    const run = await runGates(
      plan([
        { gate: "test", command: span("test") },
        { gate: "lint", command: span("lint") },
      ]),
      await scratch(),
      opts,
    );
    const times = (gate: string) => {
      const m = new RegExp(`${gate} (\\d+) (\\d+)`).exec(
        run.results.find((r) => r.gate === gate)?.output ?? "",
      );
      return { start: Number(m?.[1]), end: Number(m?.[2]) };
    };
    const a = times("test");
    const b = times("lint");
    expect(a.end - a.start).toBeGreaterThanOrEqual(1000);
    expect(b.end - b.start).toBeGreaterThanOrEqual(1000);
    // Each started before the other ended: the two second-long runs overlapped.
    expect(a.start).toBeLessThan(b.end);
    expect(b.start).toBeLessThan(a.end);
  });

  it("redacts secrets a gate prints", async () => {
    const secret = "s3cr3t-value-from-config";
    const run = await runGates(
      plan([
        {
          gate: "test",
          command: `echo "db=${secret} gh=ghp_0123456789abcdefghijklmnopqrstuv"; exit 1`,
        },
      ]),
      await scratch(),
      { ...opts, redact: makeRedactor([secret]) },
    );
    const r = run.results[0]!;
    expect(r.output).toContain("db=[REDACTED] gh=[REDACTED]");
    expect(JSON.stringify(run)).not.toContain(secret);
    expect(formatGateFailure(run)).not.toContain(secret);
  });

  it("fails every gate with the install output when install fails, running none", async () => {
    const dir = await scratch();
    const events: string[] = [];
    const run = await runGates(
      plan(
        [
          { gate: "test", command: "touch test-ran" },
          { gate: "lint", command: "touch lint-ran" },
        ],
        "echo 'ERR! lockfile out of date'; exit 1",
      ),
      dir,
      { ...opts, onGate: (g, s) => events.push(`${g}:${s}`) },
    );
    expect(run.passed).toBe(false);
    expect(run.install?.status).toBe("failed");
    expect(run.results.map((r) => r.status)).toEqual(["failed", "failed"]);
    for (const r of run.results) expect(r.output).toContain("ERR! lockfile out of date");
    expect(existsSync(join(dir, "test-ran"))).toBe(false);
    expect(events).toEqual(["install:running", "install:failed", "test:failed", "lint:failed"]);
    const text = formatGateFailure(run);
    expect(text.match(/lockfile out of date\n/g)).toHaveLength(1);
    expect(text).toMatch(/^### install failed/);
  });

  it("runs only the gates asked for", async () => {
    const run = await runGates(
      plan([
        { gate: "test", command: "true" },
        { gate: "lint", command: "false" },
      ]),
      await scratch(),
      { ...opts, only: ["test"] },
    );
    expect(run.results.map((r) => r.gate)).toEqual(["test"]);
    expect(run.passed).toBe(true);
  });
});
