import type { types } from "@slack/bolt";
import { invariant } from "../errors.ts";
import { LIMITS, splitMrkdwn, truncate } from "./text.ts";

/** Block Kit builders that cannot produce a block Slack would reject. */
export type Block = types.KnownBlock;
export type Button = types.Button;

export interface SlackMessage {
  /** Notification and screen-reader text; the blocks carry the content. */
  text: string;
  blocks: Block[];
}

export const header = (text: string): Block => ({
  type: "header",
  text: {
    type: "plain_text",
    text: truncate(text.replace(/\s+/g, " "), LIMITS.headerText),
    emoji: true,
  },
});

/** One mrkdwn text as as many section blocks as its length needs. */
export const sections = (mrkdwn: string): Block[] =>
  splitMrkdwn(mrkdwn).map((text) => ({ type: "section", text: { type: "mrkdwn", text } }));

export const fields = (items: string[]): Block => ({
  type: "section",
  fields: items
    .slice(0, LIMITS.fieldsPerSection)
    .map((text) => ({ type: "mrkdwn", text: truncate(text, LIMITS.fieldText) })),
});

export const context = (...items: string[]): Block => ({
  type: "context",
  elements: items
    .slice(0, LIMITS.contextElements)
    .map((text) => ({ type: "mrkdwn", text: truncate(text, LIMITS.sectionText) })),
});

export const divider = (): Block => ({ type: "divider" });

export function button(o: {
  actionId: string;
  label: string;
  value: string;
  style?: "primary" | "danger";
  confirm?: { title: string; text: string; yes: string };
}): Button {
  // Paul's button values are a CTA id and an action, far below the limit.
  invariant(
    o.value.length <= LIMITS.buttonValue,
    `a button value is over ${LIMITS.buttonValue} characters`,
  );
  return {
    type: "button",
    action_id: o.actionId.slice(0, LIMITS.actionId),
    text: { type: "plain_text", text: truncate(o.label, LIMITS.buttonText), emoji: true },
    value: o.value,
    ...(o.style ? { style: o.style } : {}),
    ...(o.confirm
      ? {
          confirm: {
            title: { type: "plain_text", text: truncate(o.confirm.title, 100) },
            text: { type: "mrkdwn", text: truncate(o.confirm.text, 300) },
            confirm: { type: "plain_text", text: truncate(o.confirm.yes, 30) },
            deny: { type: "plain_text", text: "Back" },
            ...(o.style === "danger" ? { style: o.style } : {}),
          },
        }
      : {}),
  };
}

export const actions = (blockId: string, elements: Button[]): Block => ({
  type: "actions",
  block_id: blockId,
  elements: elements.slice(0, LIMITS.actionsElements),
});

/**
 * Spread blocks over as many messages as Slack's 50-block limit needs; later
 * messages say they continue the first, so nothing is silently cut.
 */
export function paginate(blocks: Block[], text: string): [SlackMessage, ...SlackMessage[]] {
  const per = LIMITS.blocksPerMessage - 1;
  const count = Math.max(1, Math.ceil(blocks.length / per));
  const page = (i: number) => blocks.slice(i * per, (i + 1) * per);
  const rest: SlackMessage[] = [];
  for (let i = 1; i < count; i++) {
    rest.push({
      text: `${truncate(text, 200)} (part ${i + 1} of ${count})`,
      blocks: [context(`_continued, part ${i + 1} of ${count}_`), ...page(i)],
    });
  }
  return [{ text: truncate(text, 3000), blocks: page(0) }, ...rest];
}
