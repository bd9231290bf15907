import { pendingCta } from "../db/ctas.ts";
import {
  costs,
  getChannelRepo,
  getRunWithThread,
  type RunWithThread,
  runsInChannel,
  setChannelRepo,
} from "../db/slack.ts";
import { usageTotals } from "../db/usage.ts";
import { PaulError } from "../errors.ts";
import { isPhase, PHASE_TITLES } from "../pipeline/phases.ts";
import { slackBuild } from "./build.ts";
import { errorReply, type Reply, type SlackCtx } from "./ctx.ts";
import { parseCommand, parseRepoName, RUN_ID, USAGE } from "./parse.ts";
import { esc, link, mention, truncate, usd } from "./text.ts";
import { permalink } from "./web.ts";

export interface CommandIO {
  /** Acknowledge within Slack's 3 seconds, optionally with an immediate ephemeral answer. */
  ack(reply?: Reply): Promise<void>;
  /** Answer later, through the command's response_url. */
  respond(reply: Reply): Promise<void>;
}

const ephemeral = (text: string): Reply => ({ text, response_type: "ephemeral" });

/**
 * `/paul …`. Parsing needs nothing but the text, so bad input is answered in
 * the ack itself; everything that touches the database or GitHub happens
 * after the ack and answers through respond().
 */
export async function handleCommand(
  ctx: SlackCtx,
  cmd: { text: string; user: string; channel: string },
  io: CommandIO,
): Promise<void> {
  let parsed: ReturnType<typeof parseCommand>;
  try {
    parsed = parseCommand(cmd.text);
  } catch (e) {
    await io.ack(errorReply(ctx, e));
    return;
  }
  if (parsed.name === "help") {
    await io.ack(ephemeral(USAGE));
    return;
  }
  await io.ack();
  try {
    const reply = await run(ctx, parsed, cmd, (text) => io.respond(ephemeral(text)));
    if (reply) await io.respond(reply);
  } catch (e) {
    await io.respond(errorReply(ctx, e));
  }
}

async function run(
  ctx: SlackCtx,
  c: ReturnType<typeof parseCommand>,
  who: { user: string; channel: string },
  tell: (text: string) => Promise<void>,
): Promise<Reply | undefined> {
  const { pool, cfg } = ctx.deps;
  switch (c.name) {
    case "build":
      await slackBuild(ctx, c, who, tell);
      return undefined;
    case "repo": {
      if (!c.repo) {
        const current = await getChannelRepo(pool, who.channel);
        return ephemeral(
          current
            ? `This channel builds on \`${esc(current.repo)}\`${current.base_branch ? ` (base \`${esc(current.base_branch)}\`)` : ""}, set by ${mention(current.set_by)}.`
            : "This channel has no default repository. Set one with `/paul repo owner/name [--base branch]`.",
        );
      }
      const { owner, name } = parseRepoName(c.repo, cfg.github.webUrl);
      const { repo: ref, access } = await ctx.service.checkGithubRepo({
        owner,
        name,
        base: c.base,
      });
      const repo = ref.spec;
      await setChannelRepo(pool, {
        channel: who.channel,
        repo,
        baseBranch: c.base,
        setBy: who.user,
      });
      return {
        response_type: "in_channel",
        text: `:pushpin: ${mention(who.user)} set this channel's repository to \`${esc(repo)}\` (base \`${esc(c.base ?? access.defaultBranch)}\`). \`/paul build <feature>\` builds there.`,
      };
    }
    case "status": {
      const target = c.run
        ? await findRun(ctx, c.run)
        : (await runsInChannel(pool, who.channel, 1))[0];
      if (!target)
        return ephemeral("No runs in this channel yet. Start one with `/paul build <feature>`.");
      return ephemeral(await statusText(ctx, target));
    }
    case "runs": {
      const runs = await runsInChannel(pool, who.channel, 10);
      if (runs.length === 0)
        return ephemeral("No runs in this channel yet. Start one with `/paul build <feature>`.");
      const cost = await costs(
        pool,
        runs.map((r) => r.id),
      );
      const lines = runs.map(
        (r) =>
          `• ${runLink(ctx, r)} · ${r.status} · ${phaseTitle(r.phase)} · ${usd(cost.get(r.id) ?? 0)} · ${esc(truncate(r.feature, 80))}`,
      );
      return ephemeral(cfg.redact(`*Recent runs in this channel*\n${lines.join("\n")}`));
    }
    case "cancel": {
      const target = await findRun(ctx, c.run);
      if (!(await ctx.approvers.mayDecide(who.user, target)))
        return ephemeral(ctx.approvers.refusal(target));
      await ctx.service.cancel(target.id, who.user);
      return ephemeral(
        `:no_entry_sign: Run \`${target.id}\` is cancelled; its thread says so too.`,
      );
    }
    case "help":
      return ephemeral(USAGE);
  }
}

async function findRun(ctx: SlackCtx, id: string): Promise<RunWithThread> {
  const run = RUN_ID.test(id) ? await getRunWithThread(ctx.deps.pool, id) : undefined;
  if (!run)
    throw new PaulError("not_found", `There is no run \`${esc(id.slice(0, 40))}\`.`, {
      hint: "`/paul runs` lists this channel's runs",
    });
  return run;
}

const phaseTitle = (p: string) => (isPhase(p) ? PHASE_TITLES[p] : p);

function runLink(ctx: SlackCtx, r: RunWithThread): string {
  return r.channel && r.thread_ts
    ? link(permalink(ctx.identity.teamUrl, r.channel, r.thread_ts), r.id)
    : `\`${r.id}\``;
}

async function statusText(ctx: SlackCtx, r: RunWithThread): Promise<string> {
  const { pool, cfg } = ctx.deps;
  const u = await usageTotals(pool, r.id);
  const open = await pendingCta(pool, r.id);
  const lines = [
    `*${runLink(ctx, r)}* — ${esc(truncate(r.feature, 300))}`,
    `Repository \`${esc(r.repo_spec)}\` (\`${esc(r.base_branch)}\`) · requested by ${mention(r.requester)}`,
    `Status *${r.status}* · phase ${phaseTitle(r.phase)} · cost ${usd(u.costUsd)} of ${usd(Number(r.budget_usd))}`,
  ];
  if (open) lines.push(`Waiting for a decision: “${esc(open.prompt)}”`);
  if (r.pr_url) lines.push(`Pull request: <${r.pr_url}|#${r.pr_number ?? ""}>`);
  if (r.error) lines.push(esc(truncate(r.error, 500)));
  return cfg.redact(lines.join("\n"));
}
