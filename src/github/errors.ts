import { type ErrorCode, PaulError } from "../errors.ts";
import type { Redactor } from "../redact.ts";

/**
 * A PaulError that remembers GitHub's status and validation messages, so
 * callers can tell "a PR for this branch already exists" from other 422s
 * without parsing our own message text.
 */
export class GitHubError extends PaulError {
  readonly status: number | undefined;
  /** GitHub's validation messages (the `errors` of a 422), in its words. */
  readonly details: readonly string[];

  constructor(
    code: ErrorCode,
    message: string,
    info: { status?: number; details?: readonly string[]; hint?: string; cause?: unknown },
  ) {
    const opts: { hint?: string; cause?: unknown } = {};
    if (info.hint !== undefined) opts.hint = info.hint;
    if (info.cause !== undefined) opts.cause = info.cause;
    super(code, message, opts);
    this.status = info.status;
    this.details = info.details ?? [];
  }
}

/** What a failed Octokit request carries; duck-typed so we need not depend on @octokit/request-error. */
export interface HttpFailure {
  status: number | undefined;
  /** False when no answer came back (refused, reset, timed out): Octokit still calls those 500. */
  answered: boolean;
  headers: Record<string, string>;
  message: string;
  details: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function describeValidation(e: unknown): string {
  if (typeof e === "string") return e;
  if (!isRecord(e)) return "";
  if (typeof e.message === "string" && e.message) return e.message;
  const field = typeof e.field === "string" ? e.field : "";
  const code = typeof e.code === "string" ? e.code : "";
  const says: Record<string, string> = {
    invalid: "is invalid",
    missing: "does not exist",
    missing_field: "is missing",
    already_exists: "already exists",
  };
  return [field, says[code] ?? code].filter(Boolean).join(" ");
}

export function readHttpFailure(e: unknown): HttpFailure {
  const out: HttpFailure = {
    status: undefined,
    answered: false,
    headers: {},
    message: e instanceof Error ? e.message : String(e),
    details: [],
  };
  if (!isRecord(e)) return out;
  if (typeof e.status === "number") out.status = e.status;
  const response = e.response;
  if (!isRecord(response)) return out;
  out.answered = true;
  if (isRecord(response.headers)) {
    for (const [k, v] of Object.entries(response.headers)) {
      if (typeof v === "string" || typeof v === "number") out.headers[k.toLowerCase()] = String(v);
    }
  }
  const data = response.data;
  if (isRecord(data)) {
    if (typeof data.message === "string") out.message = data.message;
    if (Array.isArray(data.errors))
      out.details = data.errors.map(describeValidation).filter(Boolean);
  } else if (typeof data === "string" && data.trim()) {
    out.message = data.trim().slice(0, 500);
  }
  return out;
}

export function isRateLimited(f: HttpFailure): boolean {
  if (f.status === 429) return true;
  return (
    f.status === 403 &&
    (f.headers["x-ratelimit-remaining"] === "0" ||
      f.headers["retry-after"] !== undefined ||
      /rate limit/i.test(f.message))
  );
}

export interface RequestContext {
  /** "POST /repos/o/r/pulls", for messages. */
  where: string;
  repo: string | undefined;
  pullNumber: number | undefined;
  hasToken: boolean;
  attempts: number;
}

const TOKEN_HINT =
  "Set GITHUB_TOKEN to a token with the repo scope (fine-grained: Contents and Pull requests, read and write).";

/** Map a failed request to the error a user can act on. Messages pass the redactor: never the token. */
export function toGitHubError(e: unknown, ctx: RequestContext, redact: Redactor): GitHubError {
  const f = readHttpFailure(e);
  const said = redact(f.details.length ? `${f.message}: ${f.details.join("; ")}` : f.message);
  const info = { status: f.status, details: f.details.map(redact), cause: e };
  const repo = ctx.repo ?? "the repository";
  switch (true) {
    case f.status === 401:
      return new GitHubError(
        "github_auth",
        ctx.hasToken ? "GitHub rejected the token" : "GitHub needs a token and none is configured",
        { ...info, hint: TOKEN_HINT },
      );
    case isRateLimited(f): {
      const reset = Number(f.headers["x-ratelimit-reset"]);
      const when = Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000).toISOString() : "";
      return new GitHubError(
        "github_failed",
        `GitHub rate limit reached during ${ctx.where}${when ? `; it resets at ${when}` : ""}`,
        {
          ...info,
          hint: "the rate limit resets on its own; wait for it, or use a token with a higher limit",
        },
      );
    }
    // A 403 that is not a rate limit is a permission the token lacks; retrying cannot grant it.
    case f.status === 403:
      return new GitHubError("github_auth", `GitHub refused ${ctx.where}: ${said}`, {
        ...info,
        hint: `The token needs write access to ${repo}. ${TOKEN_HINT}`,
      });
    case f.status === 404: {
      const what = ctx.pullNumber === undefined ? repo : `${repo}#${ctx.pullNumber}`;
      return new GitHubError("github_not_found", `${what} not found or the token can't see it`, {
        ...info,
        hint: `Check the owner/name spelling; for a private repository the token must have access. ${TOKEN_HINT}`,
      });
    }
    // GitHub judged the request invalid: the same request will fail the same way, so it is permanent.
    case f.status === 422:
      return new GitHubError("bad_input", `GitHub rejected ${ctx.where}: ${said}`, info);
    default: {
      const what = f.answered
        ? `GitHub answered ${f.status} to ${ctx.where}`
        : `GitHub could not be reached for ${ctx.where}`;
      const tries = ctx.attempts > 1 ? ` after ${ctx.attempts} attempts` : "";
      return new GitHubError("github_failed", `${what}${tries}: ${said}`, info);
    }
  }
}
