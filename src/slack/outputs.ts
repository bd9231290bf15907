import { approachHead } from "../pipeline/approaches/render.ts";
import type { Approach } from "../pipeline/approaches/schema.ts";
import { type Doc, isList, type Line, type Mark, type Part } from "../pipeline/doc.ts";
import { outputDoc, phaseTitle } from "../pipeline/phases.ts";
import { type Block, divider, header, paginate, type SlackMessage, sections } from "./blocks.ts";
import { bullets, esc, link } from "./text.ts";

/**
 * Phase outputs as thread replies, readable at a glance: the summary first,
 * then the details, each part as long as it needs to be (split, never cut).
 * Every phase renders itself to a neutral document; this draws documents.
 */
const MARK: Record<Mark, string> = {
  pass: ":white_check_mark:",
  warn: ":large_yellow_circle:",
  fail: ":x:",
};

/** A document line as mrkdwn: model and user text escaped, so it can't mention or link. */
export function mrkdwn(line: Line): string {
  return line
    .map((s) => {
      if (typeof s === "string") return esc(s);
      if ("code" in s) return `\`${esc(s.code).replace(/`/g, "'")}\``;
      if ("strong" in s) return `*${esc(s.strong)}*`;
      if ("link" in s) return s.label ? link(s.link, s.label) : `<${s.link}>`;
      return MARK[s.mark];
    })
    .join("");
}

function part(p: Part): string {
  return isList(p) ? `*${esc(p.title)}*\n${bullets(p.items.map(mrkdwn))}` : mrkdwn(p);
}

function sectionText(s: Doc["sections"][number]): string {
  return [...(s.title ? [`*${esc(s.title)}*`] : []), ...s.parts.map(part)].join("\n");
}

/** One approach for a choice question: its heading and summary, or everything. */
export function approachText(a: Approach, i: number, full: boolean): string {
  const head = `${mrkdwn(approachHead(a, i))}\n${esc(a.summary)}`;
  if (!full) return head;
  return [
    head,
    `*Steps*\n${bullets(a.steps.map(esc))}`,
    `*Files* ${a.files.map((f) => mrkdwn([{ code: f }])).join(", ") || "_none_"}`,
    `*Risks*\n${bullets(a.risks.map(esc))}`,
  ].join("\n");
}

/** The reply (or replies, when long) showing one phase's output in the run's thread. */
export function phaseOutputMessages(
  phase: string,
  revision: number,
  output: unknown,
  redact: (s: string) => string,
): SlackMessage[] {
  const title = `${phaseTitle(phase)}${revision > 0 ? ` (revision ${revision + 1})` : ""}`;
  const doc = outputDoc(phase, output);
  const summary = mrkdwn(doc.summary);
  const blocks: Block[] = [header(title), ...sections(redact(summary))];
  for (const s of doc.sections) blocks.push(divider(), ...sections(redact(sectionText(s))));
  return paginate(blocks, redact(`${title}: ${summary}`));
}
