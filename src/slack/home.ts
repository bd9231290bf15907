import type { types } from "@slack/bolt";
import type { RunRow } from "../db/runs.ts";
import { costs, type RunWithThread, runsInChannels, runsOfUser } from "../db/slack.ts";
import { isPhase, PHASE_TITLES } from "../pipeline/phases.ts";
import { redactDeep } from "../redact.ts";
import { type Block, context, divider, header, sections } from "./blocks.ts";
import type { SlackCtx } from "./ctx.ts";
import { esc, LIMITS, link, truncate, usd } from "./text.ts";
import { permalink, slackErrorCode, type WebClient } from "./web.ts";

const STATUS_ICON: Record<RunRow["status"], string> = {
  running: ":hourglass_flowing_sand:",
  waiting: ":raised_hand:",
  paused: ":double_vertical_bar:",
  done: ":white_check_mark:",
  failed: ":x:",
  cancelled: ":no_entry_sign:",
};

/**
 * App Home: the user's own recent runs, then runs in channels they are in
 * (Slack says which, through users.conversations; cached briefly).
 */
export function homePublisher(ctx: SlackCtx, ttlMs = 60_000) {
  const seen = new Map<string, { channels: string[]; at: number }>();

  async function channelsOf(user: string): Promise<string[]> {
    const hit = seen.get(user);
    if (hit && Date.now() - hit.at < ttlMs) return hit.channels;
    const channels: string[] = [];
    try {
      let cursor: string | undefined;
      do {
        const r = await ctx.web.users.conversations({
          user,
          types: "public_channel,private_channel",
          exclude_archived: true,
          limit: 200,
          ...(cursor ? { cursor } : {}),
        });
        for (const c of r.channels ?? []) if (c.id) channels.push(c.id);
        cursor = r.response_metadata?.next_cursor || undefined;
      } while (cursor);
    } catch (e) {
      ctx.log(
        `slack: channels of ${user} unknown (${slackErrorCode(e) ?? String(e)}); App Home shows their own runs only`,
      );
    }
    seen.set(user, { channels, at: Date.now() });
    return channels;
  }

  return async function publish(user: string): Promise<void> {
    const { pool, cfg } = ctx.deps;
    const mine = await runsOfUser(pool, user, 10);
    const others = await runsInChannels(pool, await channelsOf(user), user, 15);
    const cost = await costs(
      pool,
      [...mine, ...others].map((r) => r.id),
    );
    const line = (r: RunWithThread) => runLine(ctx, r, cost.get(r.id) ?? 0);
    const blocks: Block[] = [
      header("Paul"),
      ...sections(
        "Type `/paul build <feature>` in a channel to start a run; `/paul help` lists the commands.",
      ),
      divider(),
      header("Your recent runs"),
      ...(mine.length ? mine.flatMap(line) : sections("_You have not started a run yet._")),
      divider(),
      header("Runs in your channels"),
      ...(others.length
        ? others.flatMap(line)
        : sections("_No runs by others in channels you are in._")),
      context(`Updated ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`),
    ];
    await publishView(ctx.web, user, redactDeep(blocks.slice(0, LIMITS.blocksPerView), cfg.redact));
  };
}

async function publishView(web: WebClient, user: string, blocks: Block[]): Promise<void> {
  const view: types.HomeView = { type: "home", blocks };
  await web.views.publish({ user_id: user, view });
}

function runLine(ctx: SlackCtx, r: RunWithThread, costUsd: number): Block[] {
  const thread =
    r.channel && r.thread_ts
      ? link(permalink(ctx.identity.teamUrl, r.channel, r.thread_ts), r.id)
      : `\`${r.id}\``;
  const where = r.channel ? ` · <#${r.channel}>` : " · terminal";
  const pr = r.pr_url ? ` · <${r.pr_url}|PR #${r.pr_number ?? ""}>` : "";
  const phase = isPhase(r.phase) ? PHASE_TITLES[r.phase] : r.phase;
  return sections(
    `${STATUS_ICON[r.status]} *${thread}* ${esc(truncate(r.feature, 200))}\n${r.status} · ${phase} · ${usd(costUsd)}${where}${pr}`,
  );
}
