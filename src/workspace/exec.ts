import { spawn } from "node:child_process";
import { SECRET_ENV_PATTERN } from "../config.ts";
import { toPaulError } from "../errors.ts";
import { hostEnv } from "./host.ts";
import { sandboxPolicy } from "./sandbox-policy.ts";

/**
 * Commands run by agents and gates. They fail as a matter of course, so the
 * result carries the failure instead of throwing (execa-style). Every command
 * gets a scrubbed environment, a timeout that kills the whole process group,
 * and an output cap.
 */
export interface ExecResult {
  command: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** stdout and stderr interleaved, head and tail kept when over the cap. */
  output: string;
  truncated: boolean;
  durationMs: number;
  ok: boolean;
}

export interface Sandbox {
  /** The worktree: the command's working files, writable. */
  root: string;
  /** Directories and files hidden from the command (homes, Paul's data, credential stores). */
  hide: string[];
  /** Other writable directories, visible even inside hidden ones (caches, the command's HOME). */
  expose: string[];
  /** Visible read-only, also inside hidden ones (the git mirror, toolchains, CA files). */
  readOnly?: string[];
}

export interface ExecOptions {
  cwd: string;
  timeoutMs: number;
  /** Characters of output kept (head + tail). */
  maxOutput?: number;
  env?: Record<string, string>;
  sandbox?: Sandbox;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_OUTPUT = 8000;

/** TLS and proxy settings: without them a gate behind a corporate proxy or private CA hangs. */
export const TLS_PROXY_VARS = [
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "REQUESTS_CA_BUNDLE",
  "CURL_CA_BUNDLE",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
];

const PASS_THROUGH = [
  ...TLS_PROXY_VARS,
  "PATH",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "TERM",
  "SHELL",
  "USER",
  "LOGNAME",
];

/**
 * An allow-list, not a block-list: only harmless variables pass, and even
 * those are dropped if their name or value looks like a credential.
 */
export function scrubbedEnv(
  source: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of PASS_THROUGH) {
    const v = source[k];
    if (v !== undefined && !SECRET_ENV_PATTERN.test(k)) out[k] = v;
  }
  Object.assign(out, { CI: "1", FORCE_COLOR: "0", NO_COLOR: "1", GIT_TERMINAL_PROMPT: "0" }, extra);
  for (const k of Object.keys(out)) if (SECRET_ENV_PATTERN.test(k)) delete out[k];
  return out;
}

/** Keep the head and the tail, with a marker saying how much was cut. */
export function truncateMiddle(
  text: string,
  max = DEFAULT_MAX_OUTPUT,
): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  const marker = (n: number) => `\n… [${n} characters cut] …\n`;
  const room = max - marker(text.length).length;
  const head = Math.floor(room * 0.4);
  const tail = room - head;
  const cut = text.length - head - tail;
  return {
    text: text.slice(0, head) + marker(cut) + text.slice(text.length - tail),
    truncated: true,
  };
}

/** The command under the sandbox runtime; a sandbox that cannot start runs nothing. */
export async function execCommand(command: string, opts: ExecOptions): Promise<ExecResult> {
  const env = opts.env ?? scrubbedEnv(hostEnv());
  if (opts.sandbox && sandboxPolicy().enabled) {
    let wrapped: string;
    try {
      // Loaded on first use: the runtime is most of a bare CLI start's imports.
      const { wrapInSandbox } = await import("./sandbox.ts");
      wrapped = await wrapInSandbox(command, opts.sandbox);
    } catch (e) {
      const err = toPaulError(e);
      return {
        command,
        exitCode: 126,
        signal: null,
        timedOut: false,
        output: `[not run: ${err.toUserText()}]`,
        truncated: false,
        durationMs: 0,
        ok: false,
      };
    }
    const r = await rawExec("bash", ["-c", wrapped], { ...opts, env });
    return { ...r, command };
  }
  const r = await rawExec("bash", ["-c", command], { ...opts, env });
  return { ...r, command };
}

/** Run one program with a process-group timeout and a bounded output buffer. */
export function rawExec(file: string, args: string[], opts: ExecOptions): Promise<ExecResult> {
  const max = opts.maxOutput ?? DEFAULT_MAX_OUTPUT;
  // Keep at most a bounded window: the first `max` characters and a rolling tail.
  const headLimit = max;
  const tailLimit = max;
  let head = "";
  let tail = "";
  let total = 0;
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env ?? scrubbedEnv(hostEnv()),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    const onAbort = () => killGroup();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const onData = (chunk: Buffer) => {
      const s = chunk.toString("utf8");
      total += s.length;
      if (head.length < headLimit) {
        const room = headLimit - head.length;
        head += s.slice(0, room);
        if (s.length > room) tail = (tail + s.slice(room)).slice(-tailLimit);
      } else {
        tail = (tail + s).slice(-tailLimit);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const finish = (exitCode: number | null, signal: string | null, extra = "") => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      // Grandchildren may outlive the shell; make sure none keep running.
      killGroup();
      const joined =
        total > head.length + tail.length
          ? `${head}\n… [${total - head.length - tail.length} characters cut] …\n${tail}`
          : head + tail;
      const { text, truncated } = truncateMiddle(joined + extra, max);
      const timeoutNote = timedOut
        ? `\n[timed out after ${Math.round(opts.timeoutMs / 1000)}s; the process was killed]`
        : "";
      resolve({
        command: [file, ...args].join(" "),
        exitCode,
        signal,
        timedOut,
        output: text + timeoutNote,
        truncated: truncated || total > head.length + tail.length,
        durationMs: Date.now() - started,
        ok: exitCode === 0 && !timedOut,
      });
    };
    child.on("error", (err) => finish(127, null, `\n${err.message}`));
    child.on("close", (code, signal) => finish(code, signal));
  });
}
