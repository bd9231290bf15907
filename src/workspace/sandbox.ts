import { SandboxManager, type SandboxRuntimeConfig } from "@anthropic-ai/sandbox-runtime";
import { PaulError } from "../errors.ts";
import { type NetworkPolicy, type SandboxPolicy, sandboxPolicy } from "./sandbox-policy.ts";

export type { NetworkPolicy, SandboxPolicy };

/**
 * Agents' and gates' commands run inside `@anthropic-ai/sandbox-runtime`
 * (bubblewrap on Linux, Seatbelt on macOS): their own PID namespace that dies
 * with the command (nothing they start outlives it), a read-only view of the
 * machine with only the worktree and caches writable, hidden homes and
 * credential stores, and no network but through the runtime's filtering proxy.
 * The runtime is one per process (it owns the proxies); each command brings its
 * own filesystem rules.
 */
let started: Promise<void> | undefined;

/** What is missing for the sandbox to start here, in words a person can act on; empty when ready. */
export function sandboxMissing(): string[] {
  const check = SandboxManager.checkDependencies();
  return check.errors;
}

export function sandboxUnavailable(missing: string[]): PaulError {
  return new PaulError(
    "sandbox_unavailable",
    `The sandbox for agents' commands and gates cannot start: ${missing.join("; ")}.`,
    {
      hint: "install bubblewrap, socat and ripgrep (Debian/Ubuntu: apt-get install bubblewrap socat ripgrep), or set PAUL_SANDBOX=off to run commands unsandboxed (not recommended: an agent's commands then see your files)",
    },
  );
}

function hostsOf(n: NetworkPolicy): string[] {
  return n.mode === "allow" ? n.hosts : [];
}

async function start(): Promise<void> {
  const missing = sandboxMissing();
  if (missing.length > 0) throw sandboxUnavailable(missing);
  const network = sandboxPolicy().network;
  const config: SandboxRuntimeConfig = {
    network: { allowedDomains: hostsOf(network), deniedDomains: [] },
    filesystem: { denyRead: [], allowRead: [], allowWrite: [], denyWrite: [] },
  };
  // "on": every host, still through the proxy (the command has no network of its own).
  await SandboxManager.initialize(config, async () => network.mode === "on");
}

export interface SandboxRules {
  /** Writable: the worktree, the caches, the command's HOME. */
  writable: string[];
  /** Visible read-only, also inside hidden directories (git dir, toolchains, CA files). */
  readOnly: string[];
  /** Hidden: homes, Paul's data, credential stores. */
  hidden: string[];
  /** Never writable, even inside a writable directory (the worktree's `.git`). */
  protect: string[];
  /** Hosts allowed on top of the policy's (the repository's own). */
  hosts?: string[];
}

/** The shell command that runs `command` under `rules`. */
export async function wrapInSandbox(command: string, rules: SandboxRules): Promise<string> {
  if (!started) {
    started = start();
    started.catch(() => {
      started = undefined;
    });
  }
  await started;
  const policy = sandboxPolicy();
  const hosts = [...new Set([...hostsOf(policy.network), ...(rules.hosts ?? [])])];
  return SandboxManager.wrapWithSandbox(command, "bash", {
    network: { allowedDomains: policy.network.mode === "off" ? [] : hosts, deniedDomains: [] },
    filesystem: {
      denyRead: rules.hidden,
      // The runtime's proxy sockets live in the host's tmp dir, which a rule may hide.
      allowRead: [...rules.writable, ...rules.readOnly, ...proxySockets()],
      allowWrite: rules.writable,
      denyWrite: rules.protect,
    },
  });
}

function proxySockets(): string[] {
  return [SandboxManager.getLinuxHttpSocketPath(), SandboxManager.getLinuxSocksSocketPath()].filter(
    (p): p is string => typeof p === "string",
  );
}

/** Stops the runtime's proxies (tests, and a process about to exit). */
export async function stopSandbox(): Promise<void> {
  if (!started) return;
  started = undefined;
  await SandboxManager.reset();
}
