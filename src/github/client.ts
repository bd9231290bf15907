import { Octokit } from "@octokit/rest";
import { PaulError } from "../errors.ts";
import { makeRedactor } from "../redact.ts";
import { type HttpFailure, isRateLimited, readHttpFailure, toGitHubError } from "./errors.ts";

export interface GitHubConfig {
  token?: string | undefined;
  apiUrl: string;
}

export interface GitHubClientOptions {
  /** Extra attempts after the first, for 5xx, 429, rate-limit 403s and unanswered requests. */
  retries?: number;
  baseDelayMs?: number;
  /**
   * The longest wait sat through in-process. A Retry-After or rate-limit reset
   * beyond it fails at once (retryable), so the job queue waits instead of a worker slot.
   */
  maxDelayMs?: number;
  /** Per attempt. */
  timeoutMs?: number;
  /** Injected by tests to observe backoff without waiting for it. */
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULTS = { retries: 3, baseDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 30_000 };

// Pinned so a change of GitHub's default REST version cannot change response shapes under us.
const API_VERSION = "2022-11-28";

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Milliseconds to wait before the next attempt, or undefined when retrying is pointless. */
function retryDelay(
  f: HttpFailure,
  attempt: number,
  policy: Required<Omit<GitHubClientOptions, "sleep">>,
  now = Date.now(),
): number | undefined {
  if (attempt >= policy.retries) return undefined;
  const transient = !f.answered || (f.status !== undefined && f.status >= 500);
  if (!transient && !isRateLimited(f)) return undefined;
  const retryAfter = f.headers["retry-after"];
  let wait: number | undefined;
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    wait = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - now;
  } else if (f.headers["x-ratelimit-remaining"] === "0" && f.headers["x-ratelimit-reset"]) {
    wait = Number(f.headers["x-ratelimit-reset"]) * 1000 - now;
  }
  if (wait !== undefined && Number.isFinite(wait)) {
    return wait > policy.maxDelayMs ? undefined : Math.max(0, Math.ceil(wait));
  }
  const backoff = policy.baseDelayMs * 2 ** attempt;
  const jitter = Math.random() * policy.baseDelayMs * 0.25;
  return Math.min(policy.maxDelayMs, Math.round(backoff + jitter));
}

function fillRoute(url: string, params: Record<string, unknown>): string {
  return url.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return typeof v === "string" || typeof v === "number" ? String(v) : whole;
  });
}

/**
 * An Octokit whose every request is bounded (per-attempt timeout, a few
 * retries with backoff that honour Retry-After) and whose failures are
 * PaulErrors (GitHubError) a user can act on.
 */
export function createGitHub(cfg: GitHubConfig, options: GitHubClientOptions = {}): Octokit {
  const policy = {
    retries: options.retries ?? DEFAULTS.retries,
    baseDelayMs: options.baseDelayMs ?? DEFAULTS.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULTS.maxDelayMs,
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
  };
  const sleep = options.sleep ?? defaultSleep;
  const redact = makeRedactor([cfg.token]);
  const gh = new Octokit({
    ...(cfg.token ? { auth: cfg.token } : {}),
    baseUrl: cfg.apiUrl.replace(/\/+$/, ""),
    userAgent: "paul",
    // Octokit would print warnings to the console; Paul's output goes through its own redacted channels.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });

  gh.hook.wrap("request", async (request, endpoint) => {
    const callerSignal: AbortSignal | undefined = endpoint.request?.signal;
    const where = redact(`${endpoint.method} ${fillRoute(endpoint.url ?? "", endpoint)}`);
    const owner = endpoint.owner;
    const repo = endpoint.repo;
    const pull = endpoint.pull_number;
    const context = {
      where,
      repo: typeof owner === "string" && typeof repo === "string" ? `${owner}/${repo}` : undefined,
      pullNumber: typeof pull === "number" ? pull : undefined,
      hasToken: !!cfg.token,
    };
    // Octokit binds these options into the inner hooks (auth, logging) before calling us, so
    // arguments passed to `request()` are dropped: changes must be made to this object. Its
    // `request` and `headers` may be shared with the client defaults, so replace, never mutate them.
    endpoint.headers = { "x-github-api-version": API_VERSION, ...endpoint.headers };
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
      endpoint.request = { ...endpoint.request, signal };
      try {
        return await request(endpoint);
      } catch (e) {
        if (callerSignal?.aborted) {
          throw new PaulError("cancelled", `GitHub request cancelled: ${where}`, { cause: e });
        }
        const wait = retryDelay(readHttpFailure(e), attempt, policy);
        if (wait === undefined) {
          throw toGitHubError(e, { ...context, attempts: attempt + 1 }, redact);
        }
        await sleep(wait);
      }
    }
  });
  return gh;
}
