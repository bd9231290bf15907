import type { types } from "@slack/bolt";
import { z } from "zod";
import { type CtaRow, DecisionSchema, getCta } from "../db/ctas.ts";
import { getRun, type RunRow } from "../db/runs.ts";
import { isPaulError, PaulError } from "../errors.ts";
import { parseButtonValue } from "./cta-blocks.ts";
import { errorReply, type SlackCtx } from "./ctx.ts";
import { esc, mentionIds, truncate } from "./text.ts";

/**
 * Button clicks and the Revise modal. Every path checks who is clicking
 * before anything changes; the decision itself is resolveCta's single
 * transaction, so any number of clicks moves the run at most once.
 */
export const REVISE_CALLBACK = "paul_revise";
export const FEEDBACK_BLOCK = "feedback";
export const FEEDBACK_ACTION = "text";

export interface Click {
  user: string;
  value: string | undefined;
  triggerId: string;
  channel: string | undefined;
  threadTs: string | undefined;
}

/** Tell only the person who clicked. */
export type Whisper = (text: string) => Promise<void>;

export async function onCtaClick(ctx: SlackCtx, click: Click, whisper: Whisper): Promise<void> {
  try {
    const v = parseButtonValue(click.value);
    if (!v) throw new PaulError("bad_input", "That button is not one of Paul's questions.");
    const { cta, run } = await load(ctx, v.cta);
    if (!(await ctx.approvers.mayDecide(click.user, run)))
      return await whisper(ctx.approvers.refusal(run));
    if (v.action === "revise") {
      if (cta.status !== "pending") throw await closed(ctx, cta);
      await ctx.web.views.open({ trigger_id: click.triggerId, view: reviseModal(cta, click) });
      return;
    }
    // A button carries its action as text; it is checked here as resolveCta would.
    const decision = DecisionSchema.safeParse(
      v.action === "choose"
        ? { action: "choose", approach: v.approach ?? -1 }
        : { action: v.action },
    );
    if (!decision.success) {
      throw new PaulError(
        "bad_input",
        `That decision is not valid: ${decision.error.issues[0]?.message}`,
      );
    }
    await ctx.service.answer(cta.id, decision.data, click.user);
  } catch (e) {
    await whisper(staleOrError(ctx, e));
  }
}

const MetadataSchema = z.object({
  cta: z.string(),
  channel: z.string().optional(),
  thread: z.string().optional(),
});

/**
 * Validation that needs no I/O goes back in the submission's ack, so the
 * modal stays open with the error under the field; the decision happens after.
 */
export function reviseErrors(feedback: string | undefined): Record<string, string> | undefined {
  return feedback?.trim() ? undefined : { [FEEDBACK_BLOCK]: "Tell Paul what should change." };
}

export async function onReviseSubmit(
  ctx: SlackCtx,
  s: { user: string; metadata: string; feedback: string },
): Promise<void> {
  const meta = MetadataSchema.safeParse(safeJson(s.metadata));
  if (!meta.success) return;
  const whisper = async (text: string) => {
    if (!meta.data.channel) return;
    await ctx.web.chat
      .postEphemeral({
        channel: meta.data.channel,
        user: s.user,
        text,
        ...(meta.data.thread ? { thread_ts: meta.data.thread } : {}),
      })
      .catch((e: unknown) => ctx.log(`slack: could not tell ${s.user}: ${String(e)}`));
  };
  try {
    const { cta, run } = await load(ctx, meta.data.cta);
    if (!(await ctx.approvers.mayDecide(s.user, run)))
      return await whisper(ctx.approvers.refusal(run));
    await ctx.service.answer(cta.id, { action: "revise", feedback: s.feedback.trim() }, s.user);
  } catch (e) {
    await whisper(staleOrError(ctx, e));
  }
}

async function load(ctx: SlackCtx, ctaId: string): Promise<{ cta: CtaRow; run: RunRow }> {
  const cta = await getCta(ctx.deps.pool, ctaId);
  const run = cta && (await getRun(ctx.deps.pool, cta.run_id));
  if (!cta || !run) throw new PaulError("not_found", "This question no longer exists.");
  return { cta, run };
}

/** Why a question can't be answered any more, in the words resolveCta would use. */
async function closed(ctx: SlackCtx, cta: CtaRow): Promise<PaulError> {
  if (cta.status === "resolved") {
    return new PaulError(
      "cta_stale",
      `This was already decided: ${cta.decided_by} chose "${cta.decision?.action}".`,
    );
  }
  const run = await getRun(ctx.deps.pool, cta.run_id);
  return new PaulError(
    "cta_stale",
    `This question is closed: run ${cta.run_id} is ${run?.status ?? "gone"}.`,
  );
}

function staleOrError(ctx: SlackCtx, e: unknown): string {
  if (isPaulError(e) && e.code === "cta_stale") {
    return `:hourglass: ${mentionIds(esc(e.message))} Nothing else changed.`;
  }
  return errorReply(ctx, e).text;
}

function reviseModal(cta: CtaRow, click: Click): types.ModalView {
  return {
    type: "modal",
    callback_id: REVISE_CALLBACK,
    private_metadata: JSON.stringify({
      cta: cta.id,
      channel: click.channel,
      thread: click.threadTs,
    }),
    title: { type: "plain_text", text: "Revise" },
    submit: { type: "plain_text", text: "Revise" },
    close: { type: "plain_text", text: "Back" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: truncate(
            `Paul re-runs the *${esc(cta.phase)}* with your feedback, and keeps it for every later phase.`,
            3000,
          ),
        },
      },
      {
        type: "input",
        block_id: FEEDBACK_BLOCK,
        label: { type: "plain_text", text: "What should change?" },
        element: {
          type: "plain_text_input",
          action_id: FEEDBACK_ACTION,
          multiline: true,
          max_length: 3000,
        },
      },
    ],
  };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
