import type { types } from "@slack/bolt";
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
  if (o.value.length > LIMITS.buttonValue)
    throw new Error(`button value over ${LIMITS.buttonValue} characters`);
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
            ...(o.style === "danger" ? { style: "danger" as const } : {}),
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
export function paginate(blocks: Block[], text: string): SlackMessage[] {
  const per = LIMITS.blocksPerMessage - 1;
  const pages: Block[][] = [];
  for (let i = 0; i < blocks.length; i += per) pages.push(blocks.slice(i, i + per));
  if (pages.length === 0) pages.push([]);
  const fallback = truncate(text, 3000);
  if (pages.length === 1) return [{ text: fallback, blocks: pages[0]! }];
  return pages.map((page, i) => ({
    text: i === 0 ? fallback : `${truncate(text, 200)} (part ${i + 1} of ${pages.length})`,
    blocks: i === 0 ? page : [context(`_continued, part ${i + 1} of ${pages.length}_`), ...page],
  }));
}
