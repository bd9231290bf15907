import { App, type BlockButtonAction, HTTPReceiver, SocketModeReceiver } from "@slack/bolt";
import {
  FEEDBACK_ACTION,
  FEEDBACK_BLOCK,
  onCtaClick,
  onReviseSubmit,
  REVISE_CALLBACK,
  reviseErrors,
} from "./actions.ts";
import { handleCommand } from "./commands.ts";
import { CTA_ACTION_PREFIX } from "./cta-blocks.ts";
import type { SlackCtx } from "./ctx.ts";
import { homePublisher } from "./home.ts";
import { onThreadMessage } from "./replies.ts";
import { guardReceiver } from "./verify.ts";
import { slackClientOptions, slackLogger } from "./web.ts";

export const SLASH_COMMAND = "/paul";
export const EVENTS_PATH = "/slack/events";

/**
 * The Bolt app: a thin transport edge. Each listener acknowledges at once and
 * hands plain values to Paul's own handlers; Socket Mode when an app-level
 * token is configured, otherwise the HTTP receiver, which checks every
 * request's signature and timestamp (five minutes either way) and drops
 * replays before anything runs (verify.ts). Socket Mode has no signatures:
 * the WebSocket is opened with the app token over TLS, and Slack's own
 * redeliveries carry a retry number, which the message listener checks.
 */
export function createBoltApp(ctx: SlackCtx): App {
  const { cfg } = ctx.deps;
  const logger = slackLogger(ctx.log, cfg.redact);
  const common = {
    token: cfg.slack.botToken,
    botUserId: ctx.identity.botUserId,
    ...(ctx.identity.botId ? { botId: ctx.identity.botId } : {}),
    // whoAmI already checked the token; Bolt need not ask Slack again.
    tokenVerificationEnabled: false,
    clientOptions: slackClientOptions(cfg, ctx.log),
    logger,
  };
  // Built here, not by Bolt, so Socket Mode's own Web API calls honour SLACK_API_URL too.
  const receiver = cfg.slack.appToken
    ? new SocketModeReceiver({
        appToken: cfg.slack.appToken,
        logger,
        installerOptions: { clientOptions: common.clientOptions },
      })
    : guardReceiver(
        new HTTPReceiver({
          signingSecret: cfg.slack.signingSecret ?? "",
          endpoints: EVENTS_PATH,
          logger,
        }),
        { path: EVENTS_PATH, signingSecret: cfg.slack.signingSecret ?? "", log: ctx.log },
      );
  const app = new App({ ...common, receiver, socketMode: !!cfg.slack.appToken });

  app.command(SLASH_COMMAND, async ({ command, ack, respond }) => {
    await handleCommand(
      ctx,
      { text: command.text, user: command.user_id, channel: command.channel_id },
      {
        ack: (r) =>
          ack(
            r
              ? {
                  text: r.text,
                  response_type: r.response_type ?? "ephemeral",
                  ...(r.blocks ? { blocks: r.blocks } : {}),
                }
              : undefined,
          ),
        respond: async (r) => {
          await respond({
            text: r.text,
            response_type: r.response_type ?? "ephemeral",
            ...(r.blocks ? { blocks: r.blocks } : {}),
          });
        },
      },
    );
  });

  app.action<BlockButtonAction>(
    new RegExp(`^${CTA_ACTION_PREFIX}`),
    async ({ body, action, ack, respond }) => {
      await ack();
      const threadTs =
        typeof body.message?.thread_ts === "string" ? body.message.thread_ts : body.message?.ts;
      await onCtaClick(
        ctx,
        {
          user: body.user.id,
          value: action.value,
          triggerId: body.trigger_id,
          channel: body.channel?.id,
          threadTs,
        },
        async (text) => {
          await respond({ text, response_type: "ephemeral", replace_original: false });
        },
      );
    },
  );

  app.view(REVISE_CALLBACK, async ({ body, view, ack }) => {
    const feedback = view.state.values[FEEDBACK_BLOCK]?.[FEEDBACK_ACTION]?.value ?? "";
    const errors = reviseErrors(feedback);
    if (errors) return await ack({ response_action: "errors", errors });
    await ack();
    await onReviseSubmit(ctx, { user: body.user.id, metadata: view.private_metadata, feedback });
  });

  const publishHome = homePublisher(ctx);
  app.event("app_home_opened", async ({ event }) => {
    if (event.tab === "home") await publishHome(event.user);
  });

  app.event("message", async ({ event, context }) => {
    // Slack retries an event it thinks was not received; the first delivery already counted.
    if (context.retryNum) return;
    if (event.subtype !== undefined || !("thread_ts" in event) || !event.thread_ts || event.bot_id)
      return;
    await onThreadMessage(ctx, {
      channel: event.channel,
      user: event.user,
      text: event.text ?? "",
      threadTs: event.thread_ts,
    });
  });

  app.error(async (e) => {
    ctx.log(cfg.redact(`slack: a listener failed: ${e.message}`));
  });
  return app;
}
