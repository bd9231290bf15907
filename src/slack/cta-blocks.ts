import { z } from "zod";
import type { CtaOption, CtaRow, DecisionAction } from "../db/ctas.ts";
import type { RunRow } from "../db/runs.ts";
import type { Approaches } from "../pipeline/approaches/schema.ts";
import {
  actions,
  type Block,
  type Button,
  button,
  context,
  paginate,
  type SlackMessage,
  sections,
} from "./blocks.ts";
import { approachText } from "./outputs.ts";
import { esc, mention } from "./text.ts";

/**
 * A CTA as a Block Kit message. Every button carries the CTA id and the
 * action in its value, so a click needs nothing but the database to resolve.
 */
export const CTA_ACTION_PREFIX = "paul_cta_";

const ButtonValueSchema = z.object({
  cta: z.string().regex(/^\d+$/),
  action: z.string(),
  approach: z.number().int().min(0).optional(),
});
export type ButtonValue = z.infer<typeof ButtonValueSchema>;

export function parseButtonValue(raw: string | undefined): ButtonValue | undefined {
  try {
    const parsed = ButtonValueSchema.safeParse(JSON.parse(raw ?? ""));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const STYLE: Partial<Record<DecisionAction, "primary" | "danger">> = {
  approve: "primary",
  cancel: "danger",
};

function optionButton(cta: CtaRow, o: CtaOption): Button {
  const value: ButtonValue = {
    cta: cta.id,
    action: o.action,
    ...(o.approach === undefined ? {} : { approach: o.approach }),
  };
  return button({
    actionId: `${CTA_ACTION_PREFIX}${o.action}${o.approach === undefined ? "" : `_${o.approach}`}`,
    label: o.label,
    value: JSON.stringify(value),
    ...(STYLE[o.action] ? { style: STYLE[o.action] } : {}),
    ...(o.action === "cancel"
      ? {
          confirm: {
            title: "Cancel this run?",
            text: "Paul stops the run; nothing is pushed.",
            yes: "Cancel run",
          },
        }
      : {}),
  });
}

function body(
  cta: CtaRow,
  approaches: Approaches | undefined,
  redact: (s: string) => string,
): Block[] {
  const blocks: Block[] = [...sections(redact(`:question: *${esc(cta.prompt)}*`))];
  if (cta.kind === "choice" && approaches) {
    approaches.approaches.forEach((a, i) => {
      blocks.push(...sections(redact(approachText(a, i, false))));
    });
  }
  return blocks;
}

/**
 * The blocks above the buttons. A question whose text does not fit one
 * message goes out first as plain messages; the buttons then sit under the
 * prompt alone. Deterministic, so the decided version matches the posted one.
 */
function split(
  cta: CtaRow,
  approaches: Approaches | undefined,
  redact: (s: string) => string,
): { preface: SlackMessage[]; head: Block[] } {
  const full = body(cta, approaches, redact);
  if (full.length <= 45) return { preface: [], head: full };
  return {
    preface: paginate(full, redact(cta.prompt)),
    head: sections(redact(`:question: *${esc(cta.prompt)}*`)),
  };
}

export function ctaMessages(
  cta: CtaRow,
  run: Pick<RunRow, "id" | "requester">,
  approaches: Approaches | undefined,
  redact: (s: string) => string,
): { preface: SlackMessage[]; question: SlackMessage } {
  const { preface, head } = split(cta, approaches, redact);
  const blocks = [
    ...head,
    actions(
      `cta_${cta.id}`,
      cta.options.map((o) => optionButton(cta, o)),
    ),
    context(
      `Run \`${run.id}\` · ${mention(run.requester)} or an approver decides · a reply in this thread is taken as feedback`,
    ),
  ];
  return { preface, question: { text: redact(cta.prompt).slice(0, 3000), blocks } };
}

/** After the decision: the question stays, the buttons go, and it says who decided what. */
export function decidedMessage(
  cta: CtaRow,
  approaches: Approaches | undefined,
  redact: (s: string) => string,
): SlackMessage {
  const { head } = split(cta, approaches, redact);
  const decided = redact(decisionText(cta));
  return {
    text: redact(`${cta.prompt} — ${decided}`).slice(0, 3000),
    blocks: [...head, ...sections(decided)],
  };
}

export function decisionText(cta: CtaRow): string {
  const d = cta.decision;
  if (cta.status !== "resolved" || !d || !cta.decided_by)
    return ":no_entry_sign: _Closed without a decision: the run ended._";
  const who = mention(cta.decided_by);
  const option = cta.options.find(
    (o) => o.action === d.action && (d.action !== "choose" || o.approach === d.approach),
  );
  const label = esc(option?.label ?? d.action);
  const quote = (s: string) => `>${esc(s).replace(/\n/g, "\n>")}`;
  switch (d.action) {
    case "approve":
      return `:white_check_mark: ${who} chose *${label}*.`;
    case "revise":
      return `:pencil2: ${who} asked for a revision:\n${quote(d.feedback)}`;
    case "regenerate":
      return `:arrows_counterclockwise: ${who} asked for different approaches${d.feedback ? `:\n${quote(d.feedback)}` : "."}`;
    case "cancel":
      return `:no_entry_sign: ${who} cancelled the run.`;
    case "choose":
      return `:point_right: ${who} chose approach *${label}*.`;
    default:
      return `:ballot_box_with_check: ${who} chose *${label}*.`;
  }
}
