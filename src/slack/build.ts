import { newRunId } from "../db/runs.ts";
import {
  getChannelRepo,
  insertSlackThread,
  type SlackThread,
  slackOriginRef,
} from "../db/slack.ts";
import { invariant, PaulError, toPaulError } from "../errors.ts";
import { type BranchCheck, checkBranch } from "../github/branches.ts";
import { checkRepoAccess, type RepoAccess } from "../github/pulls.ts";
import { startRun } from "../pipeline/flow.ts";
import { type RepoRef, resolveRepoSpec } from "../workspace/repo.ts";
import type { SlackMessage } from "./blocks.ts";
import { foldEvents } from "./checklist.ts";
import type { SlackCtx } from "./ctx.ts";
import { parseRepoName } from "./parse.ts";
import { rootMessage } from "./root.ts";
import { truncate } from "./text.ts";
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
  const access = await reachRepo(ctx, owner, name);
  const chosen = c.base ?? channelRepo?.base_branch ?? undefined;
  if (chosen) {
    await requireBranch(ctx, { owner, name, access }, chosen, c.base ? "flag" : "channel");
  }
  const base = chosen ?? access.defaultBranch;
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
    await startRun(
      pool,
      {
        id,
        feature: c.feature,
        repoSpec: repo.spec,
        repoUrl: repo.url,
        repoKey: repo.key,
        baseBranch: base,
        origin: "slack",
        originRef: slackOriginRef(thread),
        requester: who.user,
        budgetUsd: cfg.budget.usd,
        budgetTokens: cfg.budget.tokens,
      },
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

/**
 * Fails with base_branch_missing when `branch` is not in the repository, so a
 * mistyped or deleted base is told now rather than by the run's first job.
 * `from` says where the name came from, which decides how to fix it.
 */
export async function requireBranch(
  ctx: SlackCtx,
  r: { owner: string; name: string; access: RepoAccess },
  branch: string,
  from: "flag" | "channel",
): Promise<void> {
  const repo = `${r.owner}/${r.name}`;
  const shown = truncate(branch, 100);
  // The run's base is resolved the same way, so `refs/heads/main` is as good as `main`.
  const wanted = branch.trim().replace(/^refs\/heads\//, "");
  let check: BranchCheck;
  try {
    check = await checkBranch(ctx.deps.github(), r.owner, r.name, wanted);
  } catch (e) {
    const err = toPaulError(e);
    const hint = err.retryable ? "GitHub did not answer properly; try again in a minute" : err.hint;
    throw new PaulError(err.code, `Paul can't check branch '${shown}' in ${repo}: ${err.message}`, {
      ...(hint ? { hint } : {}),
      cause: e,
    });
  }
  if (check.exists) return;
  const names = check.suggestions.map((b) => `\`${b}\``).join(", ");
  const fix =
    from === "flag"
      ? `leave out --base to use the default branch \`${r.access.defaultBranch}\``
      : `it is this channel's default base: change it with \`/paul repo ${repo} --base <branch>\`, or give this build a --base`;
  // One page of names, which may not be all of them.
  const hint = names
    ? `Existing branches include ${names}; ${fix}.`
    : "The repository has no branches yet; push a first commit to it.";
  throw new PaulError("base_branch_missing", `Branch '${shown}' does not exist in ${repo}`, {
    hint,
  });
}

export function githubRepoRef(webUrl: string, owner: string, name: string): RepoRef {
  const ref = resolveRepoSpec(`${webUrl}/${owner}/${name}`, { githubWebUrl: webUrl, cwd: "/" });
  return { ...ref, spec: `${owner}/${name}` };
}
