import { createHmac } from "node:crypto";
import type { FakeMessage, FakeView } from "../support/fake-slack.ts";

/**
 * What Slack sends an app, built as Slack builds it: slash commands as form
 * posts, interactions as `payload=` JSON, events as JSON — each signed with
 * HMAC-SHA256 over `v0:<timestamp>:<body>`.
 */
export const TEAM = { id: "T0TEST", domain: "paul-test" };
const common = { token: "verification-token", api_app_id: "A0PAUL" };

export interface Signed {
  body: string;
  headers: Record<string, string>;
}

export function sign(
  body: string,
  type: string,
  secret: string,
  o: { timestamp?: number; retryNum?: number } = {},
): Signed {
  const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac("sha256", secret).update(`v0:${ts}:${body}`).digest("hex")}`;
  const headers: Record<string, string> = {
    "content-type": type,
    "x-slack-request-timestamp": String(ts),
    "x-slack-signature": signature,
  };
  if (o.retryNum)
    Object.assign(headers, {
      "x-slack-retry-num": String(o.retryNum),
      "x-slack-retry-reason": "http_timeout",
    });
  return { body, headers };
}

export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

export function slashCommand(o: {
  text: string;
  user: string;
  channel: string;
  responseUrl: string;
  triggerId: string;
}): Record<string, string> {
  return {
    ...common,
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: o.channel,
    channel_name: "builds",
    user_id: o.user,
    user_name: "someone",
    command: "/paul",
    text: o.text,
    response_url: o.responseUrl,
    trigger_id: o.triggerId,
  };
}

/** A click on the button labelled `label` of a message as the fake Slack holds it. */
export function blockAction(
  m: FakeMessage,
  label: string,
  o: { user: string; responseUrl: string; triggerId: string },
) {
  const found = m.blocks
    .filter((b) => b.type === "actions")
    .flatMap((b) => (b.elements as Record<string, unknown>[]).map((e) => ({ block: b, e })))
    .find(({ e }) => (e.text as { text: string }).text === label);
  if (!found) throw new Error(`no button "${label}" in message ${m.ts}`);
  return {
    ...common,
    type: "block_actions",
    team: TEAM,
    user: { id: o.user, username: o.user, team_id: TEAM.id },
    trigger_id: o.triggerId,
    response_url: o.responseUrl,
    container: { type: "message", message_ts: m.ts, channel_id: m.channel, is_ephemeral: false },
    channel: { id: m.channel, name: "builds" },
    message: { type: "message", ts: m.ts, thread_ts: m.threadTs, text: m.text, blocks: m.blocks },
    actions: [
      {
        type: "button",
        action_id: found.e.action_id,
        block_id: found.block.block_id,
        text: found.e.text,
        value: found.e.value,
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}

/** Submitting a modal the fake Slack opened, with the feedback field filled in. */
export function viewSubmission(
  v: FakeView,
  feedback: string,
  o: { user: string; triggerId: string },
) {
  return {
    ...common,
    type: "view_submission",
    team: TEAM,
    user: { id: o.user, username: o.user, team_id: TEAM.id },
    trigger_id: o.triggerId,
    view: {
      ...v.view,
      id: v.id,
      team_id: TEAM.id,
      state: { values: { feedback: { text: { type: "plain_text_input", value: feedback } } } },
      hash: "h1",
    },
  };
}

export function eventCallback(event: Record<string, unknown>, id: string): string {
  return JSON.stringify({
    ...common,
    team_id: TEAM.id,
    type: "event_callback",
    event_id: id,
    event_time: Math.floor(Date.now() / 1000),
    event,
  });
}
