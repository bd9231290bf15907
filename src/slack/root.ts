import type { RunRow } from "../db/runs.ts";
import { PHASE_TITLES } from "../pipeline/phases.ts";
import { SANDBOX_OFF_NOTICE } from "../pipeline/run.ts";
import { type Block, context, fields, header, type SlackMessage, sections } from "./blocks.ts";
import { type Checklist, checklistText } from "./checklist.ts";
import { esc, LIMITS, mention, mentionIds, usd } from "./text.ts";

/** The root message of a run's thread: feature, repository, requester, run id, status and the checklist. */
export type RootRun = Pick<
  RunRow,
  "id" | "feature" | "repo_spec" | "base_branch" | "requester" | "pr_url" | "pr_number"
>;

function statusText(run: RootRun, c: Checklist): string {
  const f = c.finished;
  if (!f) {
    if (!c.current) return ":hourglass: queued";
    return c.steps[c.current] === "waiting"
      ? `:raised_hand: waiting for a decision (${PHASE_TITLES[c.current]})`
      : `:hourglass_flowing_sand: ${PHASE_TITLES[c.current]}`;
  }
  if (f.status === "done")
    return run.pr_url
      ? `:white_check_mark: done — <${run.pr_url}|PR #${run.pr_number ?? ""}>`
      : ":white_check_mark: done";
  return `${f.status === "failed" ? ":x: failed" : ":no_entry_sign: cancelled"}: ${mentionIds(esc(f.message))}`;
}

export function rootMessage(
  run: RootRun,
  c: Checklist,
  costUsd: number,
  redact: (s: string) => string,
): SlackMessage {
  const feature = redact(run.feature);
  const featureTooLong = feature.length > LIMITS.headerText - 8;
  const blocks: Block[] = [
    header(`Paul: ${feature}`),
    ...(featureTooLong ? sections(`*Feature*\n${esc(feature)}`) : []),
    fields([
      `*Repository*\n\`${esc(run.repo_spec)}\` · \`${esc(run.base_branch)}\``,
      `*Requested by*\n${mention(run.requester)}`,
      `*Run*\n\`${run.id}\``,
      `*Status*\n${redact(statusText(run, c))}`,
    ]),
    ...(c.sandboxOff ? [context(`:warning: ${SANDBOX_OFF_NOTICE.replace(/^⚠ /, "")}`)] : []),
    ...sections(checklistText(c)),
    context(`Cost so far ${usd(costUsd)} · decisions and outputs are in this thread`),
  ];
  // The fallback text is mrkdwn too (notifications show it): a feature saying <!channel> must not ping.
  return { text: `Paul run ${run.id}: ${esc(feature)}`.slice(0, 3000), blocks };
}
