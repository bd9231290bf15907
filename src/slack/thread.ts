import { type CtaRow, getCta } from "../db/ctas.ts";
import { eventsAfter, type RunEventRow } from "../db/events.ts";
import { getPhaseResult } from "../db/phases.ts";
import type { Pool } from "../db/pool.ts";
import type { RunRow } from "../db/runs.ts";
import {
  ctaMessage,
  getSlackRun,
  openCtaMessages,
  type SlackRun,
  type SlackThread,
  saveCtaMessage,
} from "../db/slack.ts";
import { usageTotals } from "../db/usage.ts";
import { invariant } from "../errors.ts";
import { type Approaches, ApproachesSchema } from "../pipeline/approaches/schema.ts";
import { isPhase, PHASE_TITLES } from "../pipeline/phases.ts";
import type { SlackMessage } from "./blocks.ts";
import { foldEvents } from "./checklist.ts";
import type { Coalescer } from "./coalesce.ts";
import { ctaMessages, decidedMessage } from "./cta-blocks.ts";
import { finalMessage, runSummary } from "./final.ts";
import { phaseOutputMessages } from "./outputs.ts";
import { rootMessage } from "./root.ts";
import type { Priority, SendQueue } from "./send-queue.ts";
import { esc } from "./text.ts";
import type { WebClient } from "./web.ts";

/**
 * What each run event looks like in the run's thread. The root message is
 * redrawn (coalesced) from all the run's events; outputs, questions and the
 * final message are replies, posted once each.
 */
export interface ThreadDeps {
  pool: Pool;
  web: WebClient;
  redact: (s: string) => string;
  coalescer: Coalescer;
  queue: SendQueue;
}

export interface ThreadRenderer {
  handle(run: SlackRun, ev: RunEventRow): Promise<void>;
  scheduleRoot(runId: string): void;
}

export async function renderRoot(
  pool: Pool,
  run: RunRow,
  redact: (s: string) => string,
): Promise<SlackMessage> {
  const events = await eventsAfter(pool, run.id, "0");
  const usage = await usageTotals(pool, run.id);
  return rootMessage(run, foldEvents(events), usage.costUsd, redact);
}

export function threadRenderer(d: ThreadDeps): ThreadRenderer {
  const { pool, web, redact, queue } = d;
  const lastRoot = new Map<string, string>();

  /** A reply in the run's thread; resolves to the posted message's ts. */
  const reply = async (t: SlackThread, m: SlackMessage): Promise<string> => {
    const r = await queue.send(t.channel, "urgent", () =>
      web.chat.postMessage({
        channel: t.channel,
        thread_ts: t.thread_ts,
        text: m.text,
        ...(m.blocks.length ? { blocks: m.blocks } : {}),
        unfurl_links: false,
      }),
    );
    invariant(r.ts, "Slack accepted a reply without saying its ts");
    return r.ts;
  };
  const note = (t: SlackThread, text: string) =>
    reply(t, { text: redact(text).slice(0, 3000), blocks: [] });

  /** Drawn when its turn comes, from everything known by then, so a merged update shows the latest. */
  async function updateRoot(runId: string, priority: Priority): Promise<void> {
    const queued = await getSlackRun(pool, runId);
    if (!queued) return;
    await queue.update(queued.channel, `root:${runId}`, priority, async () => {
      const run = (await getSlackRun(pool, runId)) ?? queued;
      const msg = await renderRoot(pool, run, redact);
      const json = JSON.stringify(msg);
      if (lastRoot.get(runId) === json) return;
      await web.chat.update({
        channel: run.channel,
        ts: run.thread_ts,
        text: msg.text,
        blocks: msg.blocks,
      });
      lastRoot.set(runId, json);
    });
  }

  const scheduleRoot = (runId: string) =>
    d.coalescer.schedule(runId, () => updateRoot(runId, "cosmetic"));

  /** The approaches a choice offered: its own revision, so a regenerated set can't relabel an old question. */
  async function approachesOf(cta: CtaRow): Promise<Approaches | undefined> {
    if (cta.kind !== "choice") return undefined;
    const revision = cta.phase === "approaches" ? cta.revision : undefined;
    const stored = await getPhaseResult(pool, cta.run_id, "approaches", revision);
    // Stored by the approaches phase after this same check; a row that fails it shows no approaches.
    const parsed = ApproachesSchema.safeParse(stored?.output);
    return parsed.success ? parsed.data : undefined;
  }

  async function postCta(run: SlackRun, ctaId: string): Promise<void> {
    const cta = await getCta(pool, ctaId);
    if (!cta || (await ctaMessage(pool, cta.id))) return;
    const approaches = await approachesOf(cta);
    if (cta.status !== "pending") {
      // Decided (from a terminal) before its message went out: show the outcome only.
      const ts = await reply(run, decidedMessage(cta, approaches, redact));
      await saveCtaMessage(pool, { cta_id: cta.id, channel: run.channel, ts, closed: true });
      return;
    }
    const { preface, question } = ctaMessages(cta, run, approaches, redact);
    for (const m of preface) await reply(run, m);
    const ts = await reply(run, question);
    await saveCtaMessage(pool, { cta_id: cta.id, channel: run.channel, ts, closed: false });
  }

  /** Replace a question's buttons with who decided what, or with "closed". */
  async function closeCta(ctaId: string): Promise<void> {
    const cta = await getCta(pool, ctaId);
    const posted = cta && (await ctaMessage(pool, cta.id));
    if (!cta || !posted || posted.closed || cta.status === "pending") return;
    const approaches = await approachesOf(cta);
    const m = decidedMessage(cta, approaches, redact);
    await queue.send(posted.channel, "urgent", () =>
      web.chat.update({ channel: posted.channel, ts: posted.ts, text: m.text, blocks: m.blocks }),
    );
    await saveCtaMessage(pool, { ...posted, closed: true });
  }

  return {
    scheduleRoot,

    async handle(run, ev) {
      switch (ev.kind) {
        case "phase_started": {
          const { phase, revision } = ev.data;
          if (revision > 0 && (phase === "analysis" || phase === "approaches")) {
            await note(
              run,
              `:arrows_counterclockwise: Running ${isPhase(phase) ? PHASE_TITLES[phase] : phase} again (revision ${revision + 1}).`,
            );
          }
          break;
        }
        case "phase_output": {
          const { phase, revision } = ev.data;
          const result = await getPhaseResult(pool, run.id, phase, revision);
          if (result)
            for (const m of phaseOutputMessages(phase, revision, result.output, redact))
              await reply(run, m);
          break;
        }
        case "warning":
          await note(run, `:warning: ${esc(ev.data.message)}`);
          break;
        case "retrying": {
          const r = ev.data;
          await note(
            run,
            `:repeat: ${esc(r.phase)} hit a temporary problem and will be retried (attempt ${r.attempt}): ${esc(r.message)}`,
          );
          break;
        }
        case "cta_created":
          await postCta(run, ev.data.ctaId);
          break;
        case "cta_resolved":
          await closeCta(ev.data.ctaId);
          break;
        case "run_finished": {
          for (const m of await openCtaMessages(pool, run.id)) await closeCta(m.cta_id);
          const fresh = (await getSlackRun(pool, run.id)) ?? run;
          await reply(fresh, finalMessage(fresh, ev.data, await runSummary(pool, fresh), redact));
          // The root's last state is the run's result, not a cosmetic redraw: it goes now,
          // held channel or not, and takes the place of any redraw still waiting.
          d.coalescer.drop(run.id);
          await updateRoot(run.id, "urgent");
          // Not awaited: a redraw already on its way may be held until this run's events are done.
          void d.coalescer.flush(run.id).then(() => {
            lastRoot.delete(run.id);
            d.coalescer.forget(run.id);
          });
          return;
        }
      }
      scheduleRoot(run.id);
    },
  };
}
