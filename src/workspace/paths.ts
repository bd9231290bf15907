import { createHash } from "node:crypto";
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SECRET_ENV_PATTERN } from "../config.ts";
import { type Sandbox, scrubbedEnv, TLS_PROXY_VARS } from "./exec.ts";
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

/** Credential stores under a home: hidden always, also inside a visible toolchain root. */
const CREDENTIAL_STORES = [
  ".ssh",
  ".aws",
  ".azure",
  ".config/gcloud",
  ".config/gh",
  ".config/hub",
  ".docker",
  ".netrc",
  ".npmrc",
  ".yarnrc",
  ".yarnrc.yml",
  ".pypirc",
  ".git-credentials",
  ".config/git/credentials",
  ".gnupg",
  ".kube",
  ".cargo/credentials",
  ".cargo/credentials.toml",
  ".gem/credentials",
  ".m2/settings.xml",
  ".local/share/keyrings",
];

/** Toolchain roots named by the variables their installers set. */
const TOOLCHAIN_VARS = [
  "NVM_DIR",
  "VOLTA_HOME",
  "FNM_DIR",
  "PNPM_HOME",
  "COREPACK_HOME",
  "BUN_INSTALL",
  "PYENV_ROOT",
  "CARGO_HOME",
  "RUSTUP_HOME",
  "GOROOT",
  "GOPATH",
  "SDKMAN_DIR",
  "ASDF_DIR",
  "ASDF_DATA_DIR",
];

const SANDBOX_TMP = "/tmp/claude";

const homes = () => [...new Set([homedir(), "/root", "/home"])];

/**
 * Where a PATH entry's tool lives: under a home, the first directory below it
 * (~/.nvm, ~/.cargo, ~/.local) so a shim finds its versions; elsewhere the
 * prefix of a `bin` directory (/opt/pnpm/bin → /opt/pnpm).
 */
function toolRoot(dir: string): string {
  for (const h of homes()) {
    if (dir.startsWith(`${h}/`)) {
      const rest = dir.slice(h.length + 1).split("/");
      const first = h === "/home" ? rest.slice(0, 2).join("/") : (rest[0] ?? "");
      const top = join(h, first);
      // A tool directly under a home (~/bin) exposes only itself, not the home.
      return homes().includes(top) || rest.length <= (h === "/home" ? 2 : 1) ? dir : top;
    }
  }
  return basename(dir) === "bin" && dirname(dir) !== "/" && dirname(dir) !== "/usr"
    ? dirname(dir)
    : dir;
}

/**
 * The user's tools, read-only: every directory on the PATH Paul was started
 * with, the toolchain roots those commands live in, and the files the TLS
 * variables name. Read-only, so a command can't plant a `git` that Paul's own
 * PATH would then find.
 */
export function userToolDirs(env: NodeJS.ProcessEnv = hostEnv()): string[] {
  const out: string[] = [];
  for (const d of (env.PATH ?? "").split(":")) {
    if (!d || !isAbsolute(d) || !existsSync(d)) continue;
    out.push(d, toolRoot(d));
  }
  for (const v of [...TOOLCHAIN_VARS, ...TLS_PROXY_VARS.filter((k) => !/proxy/i.test(k))]) {
    const p = env[v];
    if (p && isAbsolute(p) && existsSync(p)) out.push(p);
  }
  return [...new Set(out)];
}

/** Credential stores, Paul's data, and any file a credential variable names. */
export function credentialPaths(paulHome: string, env: NodeJS.ProcessEnv = hostEnv()): string[] {
  const out = [resolve(paulHome)];
  for (const h of [homedir(), "/root"]) for (const c of CREDENTIAL_STORES) out.push(join(h, c));
  for (const [k, v] of Object.entries(env)) {
    if (v && SECRET_ENV_PATTERN.test(k) && isAbsolute(v) && existsSync(v)) out.push(v);
  }
  return [...new Set(out)];
}

/**
 * Hide every home on the machine and Paul's data; the worktree, the caches
 * and the sandbox HOME are writable; the git mirror (which holds the
 * worktree's git directory: config, hooks, refs) and the user's toolchains are
 * read-only; credential stores stay hidden inside whatever is visible.
 */
export function sandboxFor(cfg: SandboxConfig): Sandbox {
  const cache = packageCacheDir(cfg.workDir);
  mkdirSync(cache, { recursive: true });
  if (cfg.sandboxHome) mkdirSync(cfg.sandboxHome, { recursive: true });
  // /tmp too: other programs' files live there. The runtime points TMPDIR at
  // /tmp/claude, which stays writable.
  mkdirSync(SANDBOX_TMP, { recursive: true });
  const hide = [...new Set([...homes(), "/tmp", ...credentialPaths(cfg.home)])];
  const expose = [cache, SANDBOX_TMP];
  if (cfg.sandboxHome) expose.push(resolve(cfg.sandboxHome));
  return {
    root: resolve(cfg.root),
    hide,
    expose: [...new Set(expose)],
    readOnly: [...new Set([resolve(cfg.mirror), ...toolchainDirs(), ...userToolDirs()])],
  };
}

/**
 * Paul's own Node and tools live in its node_modules, which may sit under a
 * hidden home or /tmp: they stay visible, read-only.
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
  /** Named by the repository's paul.gates.json (passEnv): passed even when they look secret. */
  pass?: string[];
}): Record<string, string> {
  const cache = packageCacheDir(opts.workDir);
  const source = opts.source ?? hostEnv();
  const passed: Record<string, string> = {};
  for (const k of opts.pass ?? []) {
    const v = source[k];
    if (v !== undefined) passed[k] = v;
  }
  const env = scrubbedEnv(source, {
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
  // Added, never overriding what Paul sets (HOME, the caches).
  return { ...passed, ...env };
}

/**
 * What a run's command runs with: the sandbox over `root` and the command
 * environment, with the variables the repository's passEnv names.
 */
export function commandSetup(o: {
  home: string;
  workDir: string;
  runId: string;
  root: string;
  mirror: string;
  pass?: string[];
}): { sandbox: Sandbox; env: Record<string, string> } {
  const sandboxHome = workspacePaths(o.workDir, o.runId).homeDir;
  return {
    sandbox: sandboxFor({
      home: o.home,
      workDir: o.workDir,
      root: o.root,
      mirror: o.mirror,
      sandboxHome,
    }),
    env: commandEnv({ sandboxHome, workDir: o.workDir, pass: o.pass ?? [] }),
  };
}
