import { pendingCta } from "../db/ctas.ts";
import { addMemory } from "../db/memories.ts";
import { runByThread } from "../db/slack.ts";
import { isPhase, PHASE_TITLES } from "../pipeline/phases.ts";
import type { SlackCtx } from "./ctx.ts";
import { mention } from "./text.ts";

export interface ThreadMessage {
  channel: string;
  user: string;
  text: string;
  threadTs: string;
}

/**
 * A message from the requester in a run's thread while Paul waits for a
 * decision is feedback on that phase: stored as a memory (every later phase
 * sees it) and acknowledged in the thread. Anything else is conversation
 * between people and left alone.
 */
export async function onThreadMessage(ctx: SlackCtx, m: ThreadMessage): Promise<boolean> {
  const { pool } = ctx.deps;
  const text = m.text.trim();
  if (!text) return false;
  const run = await runByThread(pool, m.channel, m.threadTs);
  if (!run || run.requester !== m.user) return false;
  const cta = await pendingCta(pool, run.id);
  if (!cta) return false;
  await addMemory(pool, {
    runId: run.id,
    repoKey: run.repo_key,
    scope: "run",
    kind: "feedback",
    phase: cta.phase,
    content: text,
    author: m.user,
  });
  const phase = isPhase(cta.phase) ? PHASE_TITLES[cta.phase].toLowerCase() : cta.phase;
  const next =
    cta.kind === "approval"
      ? " Click *Revise* to redo it with this, or *Approve* to carry it forward."
      : "";
  await ctx.web.chat.postMessage({
    channel: m.channel,
    thread_ts: m.threadTs,
    text: `:memo: Noted, ${mention(m.user)}: this is feedback on the ${phase}, and every later phase of this run will see it.${next}`,
  });
  return true;
}
