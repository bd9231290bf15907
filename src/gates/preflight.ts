import type { Config } from "../config.ts";
import { PaulError } from "../errors.ts";
import { execCommand } from "../workspace/exec.ts";
import { commandSetup } from "../workspace/paths.ts";
import type { GatePlan } from "./discover.ts";

/** The program a command line starts, past any `VAR=value` prefixes; undefined for a path. */
export function executableOf(command: string): string | undefined {
  for (const word of command.trim().split(/\s+/)) {
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) continue;
    return word.includes("/") ? undefined : word;
  }
  return undefined;
}

/**
 * Before analysis: the sandbox starts here, and every gate's program resolves
 * inside it. Found at run start, a missing tool costs nothing; found after
 * analysis, approaches, judging and a coder attempt, it cost all of those.
 */
export async function preflight(
  cfg: Config,
  run: { id: string; dir: string; mirror: string },
  gates: GatePlan,
): Promise<void> {
  if (!cfg.sandbox.enabled) return;
  // Loaded here, not at import: the runtime is most of a bare CLI start.
  await (await import("../workspace/sandbox.ts")).startSandbox();
  const { sandbox, env } = commandSetup({
    home: cfg.home,
    workDir: cfg.workDir,
    runId: run.id,
    root: run.dir,
    mirror: run.mirror,
    pass: gates.passEnv ?? [],
  });
  const commands = [
    ...(gates.install ? [{ gate: "install", command: gates.install }] : []),
    ...gates.gates,
  ];
  const programs = [...new Set(commands.map((c) => executableOf(c.command)).filter(Boolean))];
  if (programs.length === 0) return;
  const probe = programs.map((p) => `command -v -- '${p}' >/dev/null || echo "missing:${p}"`);
  const r = await execCommand(`${probe.join("; ")}; echo "path:$PATH"`, {
    cwd: run.dir,
    timeoutMs: 30_000,
    env,
    sandbox,
  });
  const absent = [...r.output.matchAll(/^missing:(.+)$/gm)].map((m) => m[1] ?? "");
  if (absent.length === 0) return;
  const path = /^path:(.*)$/m.exec(r.output)?.[1] ?? "";
  const which = commands
    .filter((c) => absent.includes(executableOf(c.command) ?? ""))
    .map((c) => `the ${c.gate} gate's \`${c.command}\` needs \`${executableOf(c.command)}\``);
  throw new PaulError(
    "gate_missing",
    `Before starting: ${which.join("; ")}, and it is not found inside the sandbox. Paul looked on the sandbox's PATH: ${path}`,
    {
      hint: "install the tool, or add the directory it is in to the PATH you start Paul with (it is visible read-only inside the sandbox); or change the command in paul.gates.json",
    },
  );
}
