/**
 * The small set of coded errors Paul knows. `retryable` decides what the job
 * boundary does: retryable errors go back to the queue, permanent ones are told
 * to the user and end the job.
 */
export const ERROR_CODES = {
  config_invalid: false,
  bad_input: false,
  repo_unreachable: false,
  base_branch_missing: false,
  model_auth: false,
  model_rate_limited: true,
  model_overloaded: true,
  model_unavailable: true,
  model_invalid_output: false,
  model_refused: false,
  agent_failed: false,
  budget_exhausted: false,
  gate_missing: false,
  github_auth: false,
  github_not_found: false,
  github_failed: true,
  push_refused: false,
  /** Someone pushed to Paul's branch between its fetch and its push: fetch, rebase and push again. */
  branch_moved: true,
  cta_stale: false,
  not_allowed: false,
  cancelled: false,
  not_found: false,
  slack_rate_limited: true,
  database_unavailable: true,
  sandbox_unavailable: false,
  /** Local git trouble: a full disk may be freed, a damaged mirror is set aside and cloned again. */
  disk_full: true,
  mirror_damaged: true,
  /** Paul may not write in its own workspace: a person must fix the permissions. */
  workspace_denied: false,
  /** A broken invariant is a bug in Paul: retrying the job would fail the same way. */
  invariant: false,
  internal: true,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PaulError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** What the user can do about it, in their words. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "PaulError";
    this.code = code;
    this.retryable = ERROR_CODES[code];
    this.hint = opts.hint;
  }

  /** One line for a person: the message and, when known, what to do. */
  toUserText(): string {
    return this.hint ? `${this.message}\n→ ${this.hint}` : this.message;
  }
}

export function isPaulError(e: unknown): e is PaulError {
  return e instanceof PaulError;
}

/** A non-null, non-array object whose fields may be read: a thrown value, parsed JSON. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The string `code` a thrown value carries: an errno name ("ENOENT") or a Postgres SQLSTATE ("3D000"). */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e !== "object" || e === null || !("code" in e)) return undefined;
  return typeof e.code === "string" ? e.code : undefined;
}

/** Normalise anything thrown into a PaulError; unknown errors are internal and retryable. */
export function toPaulError(e: unknown): PaulError {
  if (e instanceof PaulError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const code = errnoCode(e);
  const path = typeof e === "object" && e !== null && "path" in e ? e.path : undefined;
  const where = typeof path === "string" ? path : "Paul's work directory";
  // The file system's foreseeable answers: what is wrong and where, not "internal".
  if (code === "ENOSPC" || code === "EDQUOT")
    return new PaulError("disk_full", `The disk is full: ${message}`, {
      hint: `free some space where ${where} lives (df -h), then \`paul resume <run>\``,
      cause: e,
    });
  if (code === "EACCES" || code === "EPERM" || code === "EROFS")
    return new PaulError("workspace_denied", `Permission denied: ${message}`, {
      hint: `let Paul's user write ${where} (or point PAUL_HOME elsewhere), then \`paul resume <run>\``,
      cause: e,
    });
  return new PaulError("internal", message, { cause: e });
}

/**
 * The reason a job's signal carries when Paul itself is shutting down (Ctrl-C,
 * SIGTERM): the job is put back in the queue as it was, not failed.
 */
export const SHUTDOWN_REASON = "paul: shutting down";

export function isShutdown(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && signal.reason === SHUTDOWN_REASON;
}

/** A condition Paul's own code guarantees; when it does not hold, the run stops with a bug report, not retries. */
export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond)
    throw new PaulError("invariant", `Paul broke one of its own rules: ${message}`, {
      hint: "this is a bug in Paul; please report it with the run id",
    });
}
