import { isPaulError, toPaulError } from "../errors.ts";
import type { Deps } from "../pipeline/deps.ts";
import type { RunService } from "../pipeline/service.ts";
import type { Approvers } from "./approvers.ts";
import type { Block } from "./blocks.ts";
import { esc } from "./text.ts";
import type { Identity, WebClient } from "./web.ts";

/** What every Slack listener needs; built once by the Slack service. */
export interface SlackCtx {
  deps: Deps;
  /** The one way into the pipeline. */
  service: RunService;
  web: WebClient;
  approvers: Approvers;
  identity: Identity;
  log: (s: string) => void;
}

export interface Reply {
  text: string;
  blocks?: Block[];
  response_type?: "ephemeral" | "in_channel";
}

/**
 * The boundary of every listener: a PaulError is told to the person as it is
 * (message and what to do); anything else is logged and told as a fault of
 * Paul's, never as a stack trace.
 */
export function errorReply(ctx: SlackCtx, e: unknown): Reply {
  const redact = ctx.deps.cfg.redact;
  if (isPaulError(e) && e.code !== "internal") {
    const hint = e.hint ? `\n→ ${esc(e.hint)}` : "";
    return { text: redact(`:warning: ${esc(e.message)}${hint}`), response_type: "ephemeral" };
  }
  const err = toPaulError(e);
  ctx.log(
    redact(
      `slack: ${err.message}${err.cause instanceof Error && err.cause.stack ? `\n${err.cause.stack}` : ""}`,
    ),
  );
  return {
    text: ":boom: Something went wrong on Paul's side and nothing was changed. Try again; if it keeps happening, the server log has the details.",
    response_type: "ephemeral",
  };
}
