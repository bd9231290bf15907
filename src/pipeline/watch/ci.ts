import { insertEvent } from "../../db/events.ts";
import {
  type CiMemo,
  claimSource,
  lockWatch,
  updateWatch,
  type WatchRow,
} from "../../db/followups.ts";
import { withTransaction } from "../../db/pool.ts";
import { FINISHED, listFollowups, requireRun } from "../../db/runs.ts";
import { isPaulError } from "../../errors.ts";
import {
  type CheckState,
  failureReport,
  getPull,
  isFailed,
  listChecks,
  type PrRef,
  postPrComment,
  rerunCheck,
} from "../../github/feedback.ts";
import type { Deps } from "../deps.ts";
import { startFollowup } from "../followups.ts";

/** What one look at a head commit's CI decided, for logs and tests. */
export type CiOutcome =
  | "stale"
  | "busy"
  | "pending"
  | "green"
  | "rerun"
  | "base"
  | "fixing"
  | "asked"
  | "done before";

const memo = (w: WatchRow): CiMemo => ({ rerun: w.ci.rerun ?? {}, handled: w.ci.handled ?? {} });
const names = (cs: CheckState[]) => cs.map((c) => `\`${c.name}\``).join(", ");

/**
 * The CI of a watched PR's head commit, once every check has finished. Red
 * checks are re-run once (a flaky one turns green by itself); a check that
 * fails on the base branch too is named and left alone; what is still red
 * gets a fix round, a follow-up with the check's output as its failing gate,
 * up to PAUL_CI_FIX_ROUNDS per PR, after which Paul asks before going on.
 * Decided under the watch's row lock: two events about one commit decide once.
 */
export async function checkCi(deps: Deps, buildId: string, sha: string): Promise<CiOutcome> {
  const { pool, cfg } = deps;
  return withTransaction(pool, async (tx) => {
    const w = await lockWatch(tx, buildId);
    if (!w || w.state !== "watching") return "stale";
    const gh = deps.github();
    const pr: PrRef = { owner: w.owner, repo: w.repo, number: w.pr_number };
    const pull = await getPull(gh, pr);
    if (pull.state !== "open") {
      await updateWatch(tx, buildId, { state: "closed" });
      return "stale";
    }
    if (pull.headSha !== sha) return "stale";
    const m = memo(w);
    if (m.handled[sha]) return "done before";
    // A follow-up in flight is about to push: its commit's CI is the one to read.
    const busy = (await listFollowups(tx, buildId)).some((f) => !FINISHED.includes(f.status));
    if (busy) return "busy";
    const checks = await listChecks(gh, w.owner, w.repo, sha);
    if (checks.length === 0 || checks.some((c) => c.status !== "completed")) return "pending";
    const failed = checks.filter(isFailed);
    const say = (message: string) => insertEvent(tx, buildId, "progress", { phase: "pr", message });
    const done = async (outcome: CiOutcome, extra: Partial<CiMemo> = {}) => {
      await updateWatch(tx, buildId, {
        head_sha: sha,
        ci: { rerun: { ...m.rerun, ...extra.rerun }, handled: { ...m.handled, [sha]: outcome } },
      });
      return outcome;
    };
    if (failed.length === 0) {
      await say(`CI passed on ${sha.slice(0, 7)} (${checks.length} check(s)).`);
      return done("green");
    }
    const retried = m.rerun[sha] ?? [];
    const fresh = failed.filter((c) => !retried.includes(c.name));
    if (fresh.length > 0) {
      const rerun: string[] = [];
      for (const c of fresh) if (await rerunCheck(gh, w.owner, w.repo, c)) rerun.push(c.name);
      if (rerun.length > 0) {
        await say(
          `CI: ${rerun.join(", ")} failed on ${sha.slice(0, 7)}; re-running once in case it is flaky.`,
        );
        await updateWatch(tx, buildId, {
          head_sha: sha,
          ci: { rerun: { ...m.rerun, [sha]: [...retried, ...rerun] }, handled: m.handled },
        });
        return "rerun";
      }
    }
    const base = await listChecks(gh, w.owner, w.repo, pull.baseRef).catch((e: unknown) => {
      // A base branch GitHub has no checks for (or no longer has) fails nothing there;
      // anything else (an outage) goes back to the queue with the job.
      if (isPaulError(e) && (e.code === "github_not_found" || e.code === "bad_input")) return [];
      throw e;
    });
    const onBase = failed.filter((c) => base.some((b) => b.name === c.name && isFailed(b)));
    const ours = failed.filter((c) => !onBase.includes(c));
    if (onBase.length > 0) {
      const note = `CI: ${names(onBase)} fail${onBase.length === 1 ? "s" : ""} on \`${pull.baseRef}\` too, so ${onBase.length === 1 ? "it is" : "they are"} not this pull request's doing; Paul leaves ${onBase.length === 1 ? "it" : "them"} alone.`;
      await say(note.replaceAll("`", ""));
      if (
        await claimSource(tx, {
          key: `reply:ci-base:${sha}`,
          parentRunId: buildId,
          outcome: "noted",
        })
      )
        await postPrComment(gh, pr, note);
    }
    if (ours.length === 0) return done("base");
    return done(await startFix(deps, tx, w, pr, sha, ours, onBase));
  });
}

async function startFix(
  deps: Deps,
  tx: Parameters<typeof updateWatch>[0],
  w: WatchRow,
  pr: PrRef,
  sha: string,
  ours: CheckState[],
  onBase: CheckState[],
): Promise<CiOutcome> {
  const { cfg, pool } = deps;
  const gh = deps.github();
  const reports: string[] = [];
  for (const c of ours)
    reports.push(`### ${c.name}\n${await failureReport(gh, w.owner, w.repo, c)}`);
  const round = w.ci_rounds + 1;
  const limit = cfg.followup.ciFixRounds;
  const first = ours[0];
  if (!first) return "green";
  const leftAlone =
    onBase.length > 0 ? ` (${names(onBase)} fail on the base branch too and are left alone)` : "";
  const confirm =
    w.ci_rounds >= limit
      ? `CI still fails on ${sha.slice(0, 7)} (${ours.map((c) => c.name).join(", ")}) after ${w.ci_rounds} fix round(s) (PAUL_CI_FIX_ROUNDS=${limit}). Try another round?`
      : undefined;
  const started = await startFollowup(
    pool,
    cfg,
    w.run_id,
    {
      source: "ci",
      author: "ci",
      text: `Make the failing check(s) ${ours.map((c) => c.name).join(", ")} pass${leftAlone}.`,
      comments: [],
      check: {
        name: ours.map((c) => c.name).join(", "),
        url: first.url,
        sha,
        report: reports.join("\n\n").slice(0, 16_000),
      },
      round,
      ...(confirm ? { confirm } : {}),
      github: { owner: pr.owner, repo: pr.repo, number: pr.number },
    },
    { origin: "github", requester: "ci", ref: first.url, sourceKey: `ci:${sha}` },
  );
  await updateWatch(tx, w.run_id, { ci_rounds: round });
  const build = await requireRun(tx, w.run_id);
  const id = started.run?.id ?? "?";
  const text = confirm
    ? `CI still fails (${names(ours)}) after ${w.ci_rounds} fix round(s); follow-up ${id} asks whether to try again${build.origin === "slack" ? " in the Slack thread" : ""} (\`paul resume ${id}\` or its buttons).`
    : `CI: ${names(ours)} failed on \`${sha.slice(0, 7)}\`${leftAlone}. Fix round ${round} of ${limit} started: follow-up ${id}.`;
  if (
    await claimSource(tx, { key: `reply:ci-fix:${sha}`, parentRunId: w.run_id, outcome: "noted" })
  )
    await postPrComment(gh, pr, cfg.redact(text));
  return confirm ? "asked" : "fixing";
}
