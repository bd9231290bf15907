import { newRunId } from "../db/runs.ts";
import { PaulError, toPaulError } from "../errors.ts";
import { checkRepoAccess, type RepoAccess } from "../github/pulls.ts";
import { startRun } from "../pipeline/run.ts";
import { type RepoRef, resolveRepoSpec } from "../workspace/repo.ts";
import { foldEvents } from "./checklist.ts";
import type { SlackCtx } from "./ctx.ts";
import { parseRepoName } from "./parse.ts";
import { rootMessage } from "./root.ts";
import { getChannelRepo } from "./store.ts";
import { slackErrorCode } from "./web.ts";

/**
 * `/paul build`, after the ack: everything that can be wrong with the request
 * is found before anything exists (no run, no job, no message). The clone
 * happens in the first job; here only GitHub's API is asked, which is fast.
 */
export async function slackBuild(
  ctx: SlackCtx,
  c: { feature: string; repo: string | undefined; base: string | undefined },
  who: { user: string; channel: string },
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
  const access = await reachRepo(ctx, owner, name);
  const base = c.base ?? channelRepo?.base_branch ?? access.defaultBranch;
  const repo = githubRepoRef(cfg.github.webUrl, owner, name);
  const id = newRunId();
  const root = rootMessage(
    {
      id,
      feature: c.feature,
      repo_spec: repo.spec,
      base_branch: base,
      requester: who.user,
      pr_url: null,
      pr_number: null,
    },
    foldEvents([]),
    0,
    cfg.redact,
  );
  let ts: string;
  try {
    ts = (
      await ctx.web.chat.postMessage({ channel: who.channel, text: root.text, blocks: root.blocks })
    ).ts!;
  } catch (e) {
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
    await startRun(pool, {
      id,
      feature: c.feature,
      repoSpec: repo.spec,
      repoUrl: repo.url,
      repoKey: repo.key,
      baseBranch: base,
      origin: "slack",
      requester: who.user,
      channel: who.channel,
      threadTs: ts,
      budgetUsd: cfg.budget.usd,
      budgetTokens: cfg.budget.tokens,
    });
  } catch (e) {
    await ctx.web.chat
      .update({
        channel: who.channel,
        ts,
        text: `:x: The run could not be started: ${cfg.redact(toPaulError(e).message)}`,
        blocks: [],
      })
      .catch(() => {});
    throw e;
  }
  return id;
}

/** The repository through GitHub's API with Paul's credentials, and its default branch. */
export async function reachRepo(ctx: SlackCtx, owner: string, name: string): Promise<RepoAccess> {
  try {
    return await checkRepoAccess(ctx.deps.github(), owner, name);
  } catch (e) {
    const err = toPaulError(e);
    const hint = err.retryable
      ? "GitHub did not answer properly; try again in a minute"
      : "check the owner/name for typos; for a private repository, give Paul's GitHub token (GITHUB_TOKEN) access to it";
    throw new PaulError(
      "repo_unreachable",
      `Paul can't reach \`${owner}/${name}\` with its GitHub credentials: ${err.message}`,
      { hint, cause: e },
    );
  }
}

export function githubRepoRef(webUrl: string, owner: string, name: string): RepoRef {
  const ref = resolveRepoSpec(`${webUrl}/${owner}/${name}`, { githubWebUrl: webUrl, cwd: "/" });
  return { ...ref, spec: `${owner}/${name}` };
}
