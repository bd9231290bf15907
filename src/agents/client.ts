import Anthropic, { type Middleware } from "@anthropic-ai/sdk";
import { PaulError } from "../errors.ts";
import type { StreamSettings } from "./stream.ts";

export interface ModelClientConfig {
  apiKey: string;
  baseURL?: string;
  /** Retries of 408/429/5xx (529 included) and connection errors, with backoff. Default 4. */
  maxRetries?: number;
  /** One try of a call, the SDK's retries included. Default 10 minutes. */
  timeoutMs?: number;
  /** No bytes from the API for this long aborts the try. Default 90 s. */
  idleMs?: number;
  /** Tries of a call that went silent or broke mid-stream. Default 3. */
  idleTries?: number;
  /** How often a phase hears it is still waiting for one call. Default 15 s. */
  waitNoticeMs?: number;
  /**
   * Wait this long between retries instead of the SDK's exponential backoff.
   * Tests use it; production leaves it unset.
   */
  retryDelayMs?: number;
}

export const DEFAULT_BASE_URL = "https://api.anthropic.com";
const RETRYABLE_STATUS = (s: number) => s === 408 || s === 409 || s === 429 || s >= 500;

/** The SDK honours `retry-after-ms`, so rewriting it is how a fixed retry delay is set. */
function fixedRetryDelay(ms: number): Middleware {
  return async (request, next) => {
    const res = await next(request);
    if (!RETRYABLE_STATUS(res.status)) return res;
    const headers = new Headers(res.headers);
    headers.set("retry-after-ms", String(ms));
    headers.delete("retry-after");
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}

/** The SDK client with the settings its calls are streamed and watched with. */
export class ModelClient extends Anthropic {
  readonly streaming: StreamSettings;
  constructor(options: ConstructorParameters<typeof Anthropic>[0], streaming: StreamSettings) {
    super(options);
    this.streaming = streaming;
  }
}

export function createModelClient(cfg: ModelClientConfig): ModelClient {
  const timeout = cfg.timeoutMs ?? 10 * 60_000;
  const fixed = cfg.retryDelayMs;
  return new ModelClient(
    {
      apiKey: cfg.apiKey,
      // Explicit, so the SDK never falls back to reading the environment itself.
      baseURL: cfg.baseURL ?? DEFAULT_BASE_URL,
      maxRetries: cfg.maxRetries ?? 4,
      // For a stream the SDK times only the wait for headers; streamMessage times the rest.
      timeout,
      middleware: fixed === undefined ? [] : [fixedRetryDelay(fixed)],
      openTelemetry: false,
      logLevel: "off",
    },
    streamSettings(cfg),
  );
}

function streamSettings(cfg: Omit<ModelClientConfig, "apiKey">): StreamSettings {
  const fixed = cfg.retryDelayMs;
  return {
    idleMs: cfg.idleMs ?? 90_000,
    totalMs: cfg.timeoutMs ?? 10 * 60_000,
    tries: cfg.idleTries ?? 3,
    backoffMs: (n) => fixed ?? 2000 * 2 ** (n - 1),
    waitNoticeMs: cfg.waitNoticeMs ?? 15_000,
  };
}

/** A client from elsewhere (a plain SDK client) is watched with the defaults. */
export function streamSettingsOf(client: Anthropic): StreamSettings {
  return client instanceof ModelClient ? client.streaming : streamSettings({});
}

const AUTH_HINT =
  "check ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL if you use a gateway); the key must be valid and allowed to use this model";

function scrub(text: string, secret: string | null | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join("[REDACTED]") : text;
}

/** What an error message may say about the client: where it called and how often it retried, never the key. */
export interface CallSite {
  apiKey?: string | null;
  baseURL?: string;
  maxRetries?: number;
}

/**
 * Turn whatever the SDK threw into a PaulError a user can act on. Hints say
 * what is wrong and what the user can do; what Paul does next (retry the
 * job, or stop the run) is added where that is decided, the job boundary.
 * The key is removed from any text that might echo it back.
 */
export function toModelError(e: unknown, site: CallSite | string | null = {}): PaulError {
  const s: CallSite = typeof site === "string" || site === null ? { apiKey: site } : site;
  const secret = s.apiKey;
  const where = `the Anthropic API at ${s.baseURL ?? DEFAULT_BASE_URL}`;
  const n = s.maxRetries ?? 0;
  const retried = n > 0 ? ` after ${n} ${n === 1 ? "retry" : "retries"}` : "";
  if (e instanceof PaulError) return e;
  if (e instanceof Anthropic.APIUserAbortError) {
    return new PaulError("cancelled", "The model call was cancelled.", { cause: e });
  }
  if (e instanceof Anthropic.APIConnectionError) {
    const timedOut = e instanceof Anthropic.APIConnectionTimeoutError;
    const cause = e.cause instanceof Error && e.cause.message ? ` (${e.cause.message})` : "";
    return new PaulError(
      "model_unavailable",
      timedOut
        ? `${cap(where)} did not answer in time${retried}.`
        : `Could not reach ${where}${retried}: ${scrub(e.message + cause, secret)}`,
      {
        hint: "check the network, and ANTHROPIC_BASE_URL if you use a proxy or gateway",
        cause: e,
      },
    );
  }
  if (e instanceof Anthropic.APIError) {
    const status = e.status ?? 0;
    const apiMessage = scrub(e.apiMessage ?? e.message, secret);
    const what = `Anthropic API ${status || "stream"}${e.type ? ` ${e.type}` : ""}: ${apiMessage}`;
    if (status === 401 || status === 403) {
      return new PaulError("model_auth", `The Anthropic API refused the key (${what}).`, {
        hint: AUTH_HINT,
        cause: e,
      });
    }
    if (status === 429) {
      return new PaulError("model_rate_limited", `Rate limited by ${where}${retried} (${what}).`, {
        hint: "the key's rate limit is used up; lower PAUL_WORKER_CONCURRENCY or PAUL_TASK_CONCURRENCY, or raise the limit",
        cause: e,
      });
    }
    if (status === 529 || e.type === "overloaded_error") {
      return new PaulError("model_overloaded", `${cap(where)} is overloaded${retried} (${what}).`, {
        hint: "overload on the API's side is usually temporary (https://status.anthropic.com)",
        cause: e,
      });
    }
    if (status >= 500 || status === 0) {
      return new PaulError("model_unavailable", `${cap(where)} failed${retried} (${what}).`, {
        hint: "an error on the API's side, usually temporary (https://status.anthropic.com)",
        cause: e,
      });
    }
    return new PaulError("internal", `The Anthropic API rejected Paul's request (${what}).`, {
      cause: e,
    });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new PaulError("internal", scrub(message, secret), { cause: e });
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
