/**
 * Benchmarks that print ratios against a baseline measured in the same run,
 * so they mean the same on any machine:
 * - gates: independent gates run concurrently vs the same gates one by one;
 * - output cap: memory growth while a command prints 64 MB, Paul's capped
 *   capture vs buffering everything (what execFile with a large maxBuffer does);
 * - sandbox: the time one command takes inside the sandbox vs a bare spawn of
 *   the same command (the runtime already started, as in a run).
 */
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GatePlan } from "../src/gates/discover.ts";
import { runGates } from "../src/gates/run.ts";
import { execCommand, rawExec, scrubbedEnv } from "../src/workspace/exec.ts";
import { setHostEnv } from "../src/workspace/host.ts";
import { sandboxFor } from "../src/workspace/paths.ts";
import { stopSandbox } from "../src/workspace/sandbox.ts";

setHostEnv(process.env);
const env = scrubbedEnv(process.env);
const identity = (s: string) => s;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function gatesBench(): Promise<[string, string, string]> {
  const dir = await mkdtemp(join(tmpdir(), "paul-bench-"));
  const gate = (g: "typecheck" | "test" | "lint" | "build") => ({ gate: g, command: "sleep 0.3" });
  const plan: GatePlan = {
    source: "config",
    gates: [gate("typecheck"), gate("test"), gate("lint"), gate("build")],
  };
  const opts = { timeoutMs: 10_000, env, redact: identity };
  const sequential = await time(async () => {
    for (const g of plan.gates) await runGates({ ...plan, gates: [g] }, dir, opts);
  });
  const concurrent = await time(() => runGates(plan, dir, opts));
  return [
    "4 gates of 0.3 s",
    `${(sequential / concurrent).toFixed(2)}× faster than one by one`,
    `${concurrent.toFixed(0)} ms vs ${sequential.toFixed(0)} ms`,
  ];
}

async function outputBench(): Promise<[string, string, string]> {
  const cmd = "head -c 67108864 /dev/zero | tr '\\0' 'x'";
  const growth = async (run: () => Promise<unknown>) => {
    const before = process.memoryUsage().rss;
    let max = before;
    const timer = setInterval(() => {
      max = Math.max(max, process.memoryUsage().rss);
    }, 2);
    await run();
    clearInterval(timer);
    return Math.max(1, max - before);
  };
  const capped = await growth(() =>
    rawExec("bash", ["-c", cmd], { cwd: "/", timeoutMs: 60_000, env }),
  );
  const buffered = await growth(
    () =>
      new Promise((r) => execFile("bash", ["-c", cmd], { maxBuffer: 256 * 1024 * 1024, env }, r)),
  );
  return [
    "64 MB of command output",
    `${(buffered / capped).toFixed(1)}× less memory than buffering it all`,
    `${(capped / 1e6).toFixed(1)} MB vs ${(buffered / 1e6).toFixed(1)} MB RSS growth`,
  ];
}

async function sandboxBench(): Promise<[string, string, string]> {
  const paulHome = await mkdtemp(join(tmpdir(), "paul-bench-home-"));
  const root = await mkdtemp(join(tmpdir(), "paul-bench-wt-"));
  const sandbox = sandboxFor({
    home: paulHome,
    workDir: join(paulHome, "work"),
    root,
    mirror: root,
  });
  const opts = { cwd: root, timeoutMs: 30_000, env };
  const cmd = "git --version >/dev/null && ls >/dev/null";
  await execCommand(cmd, { ...opts, sandbox }); // starts the runtime's proxies once
  const n = 20;
  const median = async (fn: () => Promise<unknown>) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) xs.push(await time(fn));
    return xs.sort((a, b) => a - b)[Math.floor(n / 2)]!;
  };
  const bare = await median(() => execCommand(cmd, opts));
  const boxed = await median(() => execCommand(cmd, { ...opts, sandbox }));
  await stopSandbox();
  return [
    "one command in the sandbox",
    `${(boxed / bare).toFixed(1)}× a bare spawn (+${(boxed - bare).toFixed(0)} ms)`,
    `median of ${n}: ${boxed.toFixed(0)} ms vs ${bare.toFixed(0)} ms`,
  ];
}

const rows = [await gatesBench(), await outputBench(), await sandboxBench()];
const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
process.stdout.write(`${"benchmark".padEnd(widths[0]!)}  ${"ratio".padEnd(widths[1]!)}  raw\n`);
for (const r of rows)
  process.stdout.write(`${r[0].padEnd(widths[0]!)}  ${r[1].padEnd(widths[1]!)}  ${r[2]}\n`);
