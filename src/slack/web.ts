import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { type Logger, LogLevel, webApi } from "@slack/bolt";
import type { Config } from "../config.ts";
import { PaulError } from "../errors.ts";

export type WebClient = webApi.WebClient;
export type WebClientOptions = webApi.WebClientOptions;

/**
 * Options for every Web API client (Paul's own and the ones Bolt and Socket
 * Mode build): network errors and 5xx back off and retry; anything else is
 * Slack's answer and is not retried. Only Paul's own client (createSlackWeb)
 * also turns a 429 into exactly its Retry-After, see SlackWeb.
 */
export function slackClientOptions(cfg: Config, log: (s: string) => void): WebClientOptions {
  return {
    slackApiUrl: cfg.slack.apiUrl ?? "https://slack.com/api/",
    retryConfig: { retries: 6, factor: 2, minTimeout: 250, maxTimeout: 10_000, randomize: true },
    timeout: 20_000,
    logger: slackLogger(log, cfg.redact),
  };
}

/** How many 429s in a row one call sits out before its caller is told (WebAPIRateLimitedError). */
export const MAX_RATE_LIMITED = 10;

const rateLimitNotice = new AsyncLocalStorage<(retryAfterSec: number) => void>();

/**
 * Runs `fn`, telling `notice` each time one of its Web API calls is answered
 * 429 and is about to wait Retry-After seconds (the caller may want to tell a
 * person why nothing happens yet).
 */
export function onRateLimited<T>(
  notice: (retryAfterSec: number) => void,
  fn: () => Promise<T>,
): Promise<T> {
  return rateLimitNotice.run(notice, fn);
}

/**
 * WebClient, but a 429 costs exactly its Retry-After. WebClient itself waits
 * Retry-After and then lets its retry policy add its backoff on top (up to
 * maxTimeout per answer, growing with each one), so here WebClient rejects
 * rate-limited calls at once and this class waits and tries again. Slack
 * rate-limits per method, so a 429 holds back later calls of the same method
 * until its Retry-After has passed, and leaves the others alone.
 */
export class SlackWeb extends webApi.WebClient {
  readonly #resumeAt = new Map<string, number>();

  constructor(token: string | undefined, options: WebClientOptions) {
    super(token, { ...options, rejectRateLimitedCalls: true });
  }

  override async apiCall(
    method: string,
    options?: Record<string, unknown>,
  ): Promise<webApi.WebAPICallResult> {
    for (let answers = 1; ; answers++) {
      const wait = (this.#resumeAt.get(method) ?? 0) - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        return await super.apiCall(method, options);
      } catch (e) {
        if (!(e instanceof webApi.WebAPIRateLimitedError) || answers >= MAX_RATE_LIMITED) throw e;
        const at = Date.now() + e.retryAfter * 1000;
        this.#resumeAt.set(method, Math.max(at, this.#resumeAt.get(method) ?? 0));
        rateLimitNotice.getStore()?.(e.retryAfter);
      }
    }
  }
}

export function createSlackWeb(cfg: Config, log: (s: string) => void): WebClient {
  return new SlackWeb(cfg.slack.botToken, slackClientOptions(cfg, log));
}

/** Bolt and the Web API log through Paul's redacted channel, warnings and errors only. */
export function slackLogger(log: (s: string) => void, redact: (s: string) => string): Logger {
  let level = LogLevel.WARN;
  const emit = (l: LogLevel, msg: unknown[]) => {
    const order = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];
    if (order.indexOf(l) < order.indexOf(level)) return;
    log(
      redact(
        `slack ${l}: ${msg.map((m) => (m instanceof Error ? m.message : typeof m === "string" ? m : JSON.stringify(m))).join(" ")}`,
      ),
    );
  };
  return {
    debug: (...m: unknown[]) => emit(LogLevel.DEBUG, m),
    info: (...m: unknown[]) => emit(LogLevel.INFO, m),
    warn: (...m: unknown[]) => emit(LogLevel.WARN, m),
    error: (...m: unknown[]) => emit(LogLevel.ERROR, m),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** Slack's own error code (`channel_not_found`, `invalid_blocks`, …) when Slack answered with one. */
export function slackErrorCode(e: unknown): string | undefined {
  if (e instanceof webApi.WebAPIPlatformError) return e.data.error;
  return undefined;
}

/** Whether trying again later could help: the request never got Slack's answer. */
export function isTransient(e: unknown): boolean {
  return (
    e instanceof webApi.WebAPIRequestError ||
    e instanceof webApi.WebAPIHTTPError ||
    e instanceof webApi.WebAPIRateLimitedError
  );
}

/** A call that Slack kept answering 429 (MAX_RATE_LIMITED times in a row). */
export function isRateLimited(e: unknown): e is webApi.WebAPIRateLimitedError {
  return e instanceof webApi.WebAPIRateLimitedError;
}

export interface Identity {
  botUserId: string;
  botId: string | undefined;
  /** The workspace's URL, for links to threads. */
  teamUrl: string;
}

export async function whoAmI(web: WebClient): Promise<Identity> {
  try {
    const r = await web.auth.test();
    return { botUserId: r.user_id ?? "", botId: r.bot_id, teamUrl: r.url ?? "https://slack.com/" };
  } catch (e) {
    const code = slackErrorCode(e);
    throw new PaulError(
      "config_invalid",
      `Slack refused SLACK_BOT_TOKEN${code ? ` (${code})` : ""}.`,
      {
        hint: "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page, and reinstall the app if its scopes changed",
        cause: e,
      },
    );
  }
}

/** A link to a message (a run's thread root) from the workspace URL, without an API call. */
export function permalink(teamUrl: string, channel: string, ts: string): string {
  return `${teamUrl.replace(/\/?$/, "/")}archives/${channel}/p${ts.replace(".", "")}`;
}
