import { join } from "node:path";
import { SandboxManager, type SandboxRuntimeConfig } from "@anthropic-ai/sandbox-runtime";
import { PaulError } from "../errors.ts";
import type { Sandbox } from "./exec.ts";
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
  const missing = SandboxManager.checkDependencies().errors;
  if (missing.length > 0) throw sandboxUnavailable(missing);
  const network = sandboxPolicy().network;
  const config: SandboxRuntimeConfig = {
    network: { allowedDomains: hostsOf(network), deniedDomains: [] },
    filesystem: { denyRead: [], allowRead: [], allowWrite: [], denyWrite: [] },
  };
  // "on": every host, still through the proxy (the command has no network of its own).
  await SandboxManager.initialize(config, async () => network.mode === "on");
}

/** Starts the runtime once per process; a coded error, with what to install, when it can't. */
export function startSandbox(): Promise<void> {
  if (!started) {
    started = start();
    // The caller gets the failure from the promise returned below; this only
    // forgets it, so the next call tries to start again.
    started.catch(() => {
      started = undefined;
    });
  }
  return started;
}

/**
 * The shell command that runs `command` under `sb`: the worktree and `expose`
 * writable, `readOnly` visible, `hide` hidden. The worktree's `.git` is never
 * writable: it names the git directory, and replaced it would point Paul's own
 * git at a config (filters, hooks) the agent wrote.
 */
export async function wrapInSandbox(command: string, sb: Sandbox): Promise<string> {
  await startSandbox();
  const writable = [sb.root, ...sb.expose];
  return SandboxManager.wrapWithSandbox(command, "bash", {
    // The proxy filters by the policy the runtime started with; this only says "through it".
    network: { allowedDomains: hostsOf(sandboxPolicy().network), deniedDomains: [] },
    filesystem: {
      denyRead: sb.hide,
      // The runtime's proxy sockets live in the host's tmp dir, which a rule may hide.
      allowRead: [...writable, ...(sb.readOnly ?? []), ...proxySockets()],
      allowWrite: writable,
      denyWrite: [join(sb.root, ".git")],
    },
  });
}

function proxySockets(): string[] {
  return [SandboxManager.getLinuxHttpSocketPath(), SandboxManager.getLinuxSocksSocketPath()].filter(
    (p): p is string => typeof p === "string",
  );
}

/** Stops the runtime's proxies, so the next command starts it under the current policy (tests). */
export async function stopSandbox(): Promise<void> {
  if (!started) return;
  started = undefined;
  await SandboxManager.reset();
}
