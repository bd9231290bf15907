import { createHash } from "node:crypto";
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Sandbox, scrubbedEnv } from "./exec.ts";
import { hostEnv } from "./host.ts";

/**
 * Where a run's files live under the work directory. Everything here can be
 * rebuilt from the database and the git remote, so any worker may recreate it.
 */
export interface WorkspacePaths {
  runDir: string;
  /** A worktree of the base commit for the read-only phases (analysis, approaches, judging). */
  baseDir: string;
  /** The worktree of the run's feature branch, where task branches are merged. */
  implDir: string;
  /** One worktree per task, so tasks of a wave run side by side. */
  taskDir: (taskKey: string) => string;
  /** HOME for the agents' and gates' commands: not the user's. */
  homeDir: string;
  /** Package caches shared by all runs (npm, yarn, bun, XDG). */
  cacheDir: string;
}

function safeSegment(s: string): string {
  const safe =
    s
      .replace(/[^A-Za-z0-9._-]+/g, "_")
      .replace(/\.{2,}/g, "_")
      .replace(/^\./, "_") || "_";
  if (safe === s) return s;
  // Two keys that differ only in unsafe characters must not share a directory.
  return `${safe}-${createHash("sha256").update(s).digest("hex").slice(0, 8)}`;
}

export function packageCacheDir(workDir: string): string {
  return join(workDir, "cache");
}

export function workspacePaths(workDir: string, runId: string): WorkspacePaths {
  const runDir = join(workDir, "runs", safeSegment(runId));
  return {
    runDir,
    baseDir: join(runDir, "base"),
    implDir: join(runDir, "impl"),
    taskDir: (taskKey: string) => join(runDir, "tasks", safeSegment(taskKey)),
    homeDir: join(runDir, "home"),
    cacheDir: packageCacheDir(workDir),
  };
}

export interface SandboxConfig {
  /** Paul's home (PAUL_HOME): its database and secrets stay hidden. */
  home: string;
  workDir: string;
  /** The worktree the command works in. */
  root: string;
  /** The worktree's mirror: git inside the worktree needs its objects. */
  mirror: string;
  /** The HOME the command gets (workspacePaths().homeDir). */
  sandboxHome?: string;
}

/**
 * Hide every home on the machine; show the worktree, its mirror, the caches
 * and the sandbox HOME. Toolchains installed under a home (nvm, ~/.cargo/bin)
 * stay hidden too: the sandbox binds read-write, and a command that could
 * write to a directory on Paul's own PATH could plant a `git` that Paul then
 * runs with a token.
 */
export function sandboxFor(cfg: SandboxConfig): Sandbox {
  const cache = packageCacheDir(cfg.workDir);
  // A bind mount needs its source to exist.
  mkdirSync(cache, { recursive: true });
  if (cfg.sandboxHome) mkdirSync(cfg.sandboxHome, { recursive: true });
  const hide = [...new Set([homedir(), resolve(cfg.home), "/root"])];
  const expose = [resolve(cfg.mirror), cache];
  if (cfg.sandboxHome) expose.push(resolve(cfg.sandboxHome));
  return { root: resolve(cfg.root), hide, expose: [...new Set(expose)], readOnly: toolchainDirs() };
}

/**
 * Paul's own Node and tools live in its node_modules, which may sit under a
 * hidden home or /tmp: they stay visible, read-only, so a command can neither
 * lose them nor plant something Paul would later run.
 */
function toolchainDirs(): string[] {
  const own = fileURLToPath(new URL("../../node_modules", import.meta.url));
  const dirs = [dirname(realpathSync(process.execPath))];
  if (existsSync(own)) dirs.push(own);
  return [...new Set(dirs)];
}

/**
 * The environment of an agent's or a gate's command: the scrubbed allow-list,
 * a HOME of its own, and package managers pointed at the shared cache and
 * told not to phone home.
 */
export function commandEnv(opts: {
  sandboxHome: string;
  workDir: string;
  extra?: Record<string, string>;
  source?: NodeJS.ProcessEnv;
}): Record<string, string> {
  const cache = packageCacheDir(opts.workDir);
  return scrubbedEnv(opts.source ?? hostEnv(), {
    HOME: opts.sandboxHome,
    XDG_CACHE_HOME: join(cache, "xdg"),
    npm_config_cache: join(cache, "npm"),
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    YARN_CACHE_FOLDER: join(cache, "yarn"),
    BUN_INSTALL_CACHE_DIR: join(cache, "bun"),
    ...opts.extra,
  });
}
