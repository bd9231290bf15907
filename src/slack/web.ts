import { type Logger, LogLevel, webApi } from "@slack/bolt";
import type { Config } from "../config.ts";
import { PaulError } from "../errors.ts";

export type WebClient = webApi.WebClient;
export type WebClientOptions = webApi.WebClientOptions;

/**
 * The Web API client every Slack call goes through. A 429 is retried after
 * its Retry-After (WebClient pauses its whole queue for that long, so other
 * calls wait too); network errors and 5xx back off and retry; anything else
 * is Slack's answer and is not retried.
 */
export function slackClientOptions(cfg: Config, log: (s: string) => void): WebClientOptions {
  return {
    slackApiUrl: cfg.slack.apiUrl ?? "https://slack.com/api/",
    retryConfig: { retries: 6, factor: 2, minTimeout: 250, maxTimeout: 10_000, randomize: true },
    timeout: 20_000,
    logger: slackLogger(log, cfg.redact),
  };
}

export function createSlackWeb(cfg: Config, log: (s: string) => void): WebClient {
  return new webApi.WebClient(cfg.slack.botToken, slackClientOptions(cfg, log));
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
