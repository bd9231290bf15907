import {
  getChannelRepo,
  insertSlackThread,
  type SlackThread,
  slackOriginRef,
} from "../db/slack.ts";
import { invariant, PaulError, toPaulError } from "../errors.ts";
import type { SlackMessage } from "./blocks.ts";
import { foldEvents } from "./checklist.ts";
import type { SlackCtx } from "./ctx.ts";
import { parseRepoName } from "./parse.ts";
import { rootMessage } from "./root.ts";
import { isRateLimited, onRateLimited, slackErrorCode } from "./web.ts";

/**
 * `/paul build`, after the ack: everything that can be wrong with the request
 * is found before anything exists (no run, no job, no message). The clone
 * happens in the first job; here only GitHub's API is asked, which is fast.
 */
export async function slackBuild(
  ctx: SlackCtx,
  c: { feature: string; repo: string | undefined; base: string | undefined },
  who: { user: string; channel: string },
  tell: (text: string) => Promise<void> = async () => {},
): Promise<string> {
  const { cfg, pool } = ctx.deps;
  const channelRepo = c.repo ? undefined : await getChannelRepo(pool, who.channel);
  const repoName = c.repo ?? channelRepo?.repo;
  if (!repoName) {
    throw new PaulError(
      "bad_input",
      "This channel has no repository yet, so Paul doesn't know where to build.",
      {
        hint: "set one with `/paul repo owner/name`, or add `--repo owner/name` to the command",
      },
    );
  }
  const { owner, name } = parseRepoName(repoName, cfg.github.webUrl);
  const base = c.base ?? channelRepo?.base_branch ?? undefined;
  const draft = await ctx.service.prepareOnGithub({
    feature: c.feature,
    owner,
    name,
    base,
    from: c.base ? "flag" : "channel",
  });
  const { id, repo } = draft;
  const root = rootMessage(
    {
      id,
      feature: draft.feature,
      repo_spec: repo.spec,
      base_branch: draft.base.branch,
      requester: who.user,
      pr_url: null,
      pr_number: null,
    },
    foldEvents([]),
    0,
    cfg.redact,
  );
  let thread: SlackThread;
  try {
    const posted = await postRoot(ctx, who.channel, root, tell);
    invariant(posted.ts, "Slack accepted the run's first post without saying its ts");
    thread = { channel: who.channel, thread_ts: posted.ts };
  } catch (e) {
    if (isRateLimited(e)) {
      throw new PaulError(
        "slack_rate_limited",
        `Slack kept rate-limiting Paul's posts in this channel, so the run was not started.`,
        { hint: "try again in a minute" },
      );
    }
    const code = slackErrorCode(e);
    if (!code) throw e;
    throw new PaulError(
      "bad_input",
      `Paul can't post in this channel (Slack said \`${code}\`), so the run was not started.`,
      {
        hint: "invite Paul with `/invite @Paul`, then run the command again",
      },
    );
  }
  try {
    await ctx.service.start(
      draft,
      { origin: "slack", ref: slackOriginRef(thread), requester: who.user },
      (tx, run) => insertSlackThread(tx, run.id, thread),
    );
  } catch (e) {
    await ctx.web.chat
      .update({
        channel: thread.channel,
        ts: thread.thread_ts,
        text: `:x: The run could not be started: ${cfg.redact(toPaulError(e).message)}`,
        blocks: [],
      })
      // The person hears why through the command's answer (the error rethrown below).
      .catch((told: unknown) =>
        ctx.log(`slack: could not mark run ${id}'s first post as not started: ${String(told)}`),
      );
    throw e;
  }
  return id;
}

/**
 * The run's first post. A 429 is waited out (the client waits Retry-After and
 * tries again); the person is told once, so a slow start is not a silent one.
 */
async function postRoot(
  ctx: SlackCtx,
  channel: string,
  root: SlackMessage,
  tell: (text: string) => Promise<void>,
) {
  let told = false;
  const notice = (sec: number) => {
    if (told) return;
    told = true;
    void tell(
      `:hourglass: Slack is rate-limiting Paul's posts here, so the run's thread waits ${sec} s; Paul tries again then and starts the run once it is posted.`,
    ).catch((e: unknown) => ctx.log(`slack: could not tell about a rate limit: ${String(e)}`));
  };
  return onRateLimited(notice, () =>
    ctx.web.chat.postMessage({ channel, text: root.text, blocks: root.blocks }),
  );
}
