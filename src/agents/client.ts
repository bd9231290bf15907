import Anthropic, { type Middleware } from "@anthropic-ai/sdk";
import { PaulError } from "../errors.ts";

export interface ModelClientConfig {
  apiKey: string;
  baseURL?: string;
  /** Retries of 408/429/5xx (529 included) and connection errors, with backoff. Default 4. */
  maxRetries?: number;
  /** Per request. Default 10 minutes. */
  timeoutMs?: number;
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

export function createModelClient(cfg: ModelClientConfig): Anthropic {
  return new Anthropic({
    apiKey: cfg.apiKey,
    // Explicit, so the SDK never falls back to reading the environment itself.
    baseURL: cfg.baseURL ?? DEFAULT_BASE_URL,
    maxRetries: cfg.maxRetries ?? 4,
    // Setting a timeout also stops the SDK refusing large non-streaming max_tokens.
    timeout: cfg.timeoutMs ?? 10 * 60_000,
    middleware: cfg.retryDelayMs === undefined ? [] : [fixedRetryDelay(cfg.retryDelayMs)],
    openTelemetry: false,
    logLevel: "off",
  });
}

const AUTH_HINT =
  "check ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL if you use a gateway); the key must be valid and allowed to use this model";

function scrub(text: string, secret: string | null | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join("[REDACTED]") : text;
}

/**
 * Turn whatever the SDK threw into a PaulError a user can act on. `secret` is
 * the API key, removed from any text that might echo it back.
 */
export function toModelError(e: unknown, secret?: string | null): PaulError {
  if (e instanceof PaulError) return e;
  if (e instanceof Anthropic.APIUserAbortError) {
    return new PaulError("cancelled", "The model call was cancelled.", { cause: e });
  }
  if (e instanceof Anthropic.APIConnectionError) {
    const timedOut = e instanceof Anthropic.APIConnectionTimeoutError;
    return new PaulError(
      "model_unavailable",
      timedOut
        ? "The Anthropic API did not answer in time."
        : `Could not reach the Anthropic API: ${scrub(e.message, secret)}`,
      { hint: "check the network and ANTHROPIC_BASE_URL; Paul will retry", cause: e },
    );
  }
  if (e instanceof Anthropic.APIError) {
    const status = e.status ?? 0;
    const apiMessage = scrub(e.apiMessage ?? e.message, secret);
    const what = `Anthropic API ${status}${e.type ? ` ${e.type}` : ""}: ${apiMessage}`;
    if (status === 401 || status === 403) {
      return new PaulError("model_auth", `The Anthropic API refused the key (${what}).`, {
        hint: AUTH_HINT,
        cause: e,
      });
    }
    if (status === 429) {
      return new PaulError("model_rate_limited", `Rate limited by the Anthropic API (${what}).`, {
        hint: "Paul retried with backoff; it will try again later, or lower PAUL_WORKER_CONCURRENCY",
        cause: e,
      });
    }
    if (status === 529 || e.type === "overloaded_error") {
      return new PaulError("model_overloaded", `The Anthropic API is overloaded (${what}).`, {
        hint: "this is temporary; Paul will try again later",
        cause: e,
      });
    }
    if (status >= 500) {
      return new PaulError("model_unavailable", `The Anthropic API failed (${what}).`, {
        hint: "this is usually temporary; Paul will try again later",
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
