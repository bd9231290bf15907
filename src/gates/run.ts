import { type ExecResult, execCommand, type Sandbox, truncateMiddle } from "../workspace/exec.ts";
import type { GateName, GatePlan, GateStep } from "./discover.ts";

export type { GateStep } from "./discover.ts";

export interface GateResult {
  gate: GateStep;
  status: "passed" | "failed";
  command: string;
  /** At most GATE_OUTPUT_MAX characters, head and tail with a cut marker, redacted. */
  output: string;
  durationMs: number;
  timedOut: boolean;
  /** The command (or the script it runs) does not exist. */
  missing: boolean;
}

export interface GateRun {
  /** True when the install step and every gate that ran passed (vacuously with no gates). */
  passed: boolean;
  install?: GateResult;
  results: GateResult[];
}

export interface RunGatesOptions {
  timeoutMs: number;
  env: Record<string, string>;
  sandbox?: Sandbox;
  redact: (s: string) => string;
  only?: GateName[];
  onGate?: (gate: GateStep, state: "running" | "passed" | "failed") => void;
  signal?: AbortSignal;
}

export const GATE_OUTPUT_MAX = 8000;
// Read well past the kept size so redaction sees whole secrets before the cut.
const EXEC_OUTPUT_MAX = 64_000;

const MISSING_PATTERNS = [
  /command not found/i,
  /Missing script:/i, // npm, pnpm
  /error Command ".*" not found/i, // yarn
  /Script not found/i, // bun
];

function isMissing(r: ExecResult): boolean {
  if (r.ok || r.timedOut) return false;
  return r.exitCode === 127 || MISSING_PATTERNS.some((p) => p.test(r.output));
}

async function runStep(
  gate: GateStep,
  command: string,
  dir: string,
  timeoutMs: number,
  opts: RunGatesOptions,
): Promise<GateResult> {
  opts.onGate?.(gate, "running");
  const r = await execCommand(command, {
    cwd: dir,
    timeoutMs,
    env: opts.env,
    sandbox: opts.sandbox,
    maxOutput: EXEC_OUTPUT_MAX,
    signal: opts.signal,
  });
  const missing = isMissing(r);
  let output = opts.redact(r.output);
  if (missing) output = `Command not found: ${command}\n${output}`;
  if (!r.ok && !r.timedOut) output += `\n[exit code ${r.exitCode ?? r.signal}]`;
  const status = r.ok ? "passed" : "failed";
  opts.onGate?.(gate, status);
  return {
    gate,
    status,
    command: opts.redact(command),
    output: truncateMiddle(output, GATE_OUTPUT_MAX).text,
    durationMs: r.durationMs,
    timedOut: r.timedOut,
    missing,
  };
}

/**
 * Install once, then every gate at the same time: they only read the
 * worktree, and a slow test suite should not wait for the linter.
 */
export async function runGates(
  plan: GatePlan,
  dir: string,
  opts: RunGatesOptions,
): Promise<GateRun> {
  const timeoutMs = plan.timeoutMs ?? opts.timeoutMs;
  const gates = plan.gates.filter((g) => !opts.only || opts.only.includes(g.gate));
  let install: GateResult | undefined;
  if (plan.install) {
    install = await runStep("install", plan.install, dir, timeoutMs, opts);
    if (install.status === "failed") {
      const failedInstall = install;
      const results = gates.map((g): GateResult => {
        opts.onGate?.(g.gate, "failed");
        const why = `Not run: the install step \`${failedInstall.command}\` failed.\n`;
        return {
          gate: g.gate,
          status: "failed",
          command: opts.redact(g.command),
          output: truncateMiddle(why + failedInstall.output, GATE_OUTPUT_MAX).text,
          durationMs: 0,
          timedOut: failedInstall.timedOut,
          missing: failedInstall.missing,
        };
      });
      return { passed: false, install, results };
    }
  }
  const results = await Promise.all(
    gates.map((g) => runStep(g.gate, g.command, dir, timeoutMs, opts)),
  );
  return {
    passed: results.every((r) => r.status === "passed"),
    ...(install ? { install } : {}),
    results,
  };
}

function title(r: GateResult): string {
  const why = r.timedOut ? " (timed out)" : r.missing ? " (command not found)" : "";
  return `### ${r.gate} failed${why}: \`${r.command}\``;
}

/** The failing gates' output for a retry prompt, GATE_OUTPUT_MAX characters at most in all. */
export function formatGateFailure(run: GateRun): string {
  // When install failed every gate carries the same output; say it once.
  const failed =
    run.install?.status === "failed"
      ? [run.install]
      : run.results.filter((r) => r.status === "failed");
  if (failed.length === 0) return "";
  const titles = failed.map(title);
  const overhead = titles.reduce((n, t) => n + t.length + 3, 0);
  const each = Math.max(200, Math.floor((GATE_OUTPUT_MAX - overhead) / failed.length));
  const text = failed
    .map((r, i) => `${titles[i]}\n${truncateMiddle(r.output.trim(), each).text}`)
    .join("\n\n");
  return truncateMiddle(text, GATE_OUTPUT_MAX).text;
}
