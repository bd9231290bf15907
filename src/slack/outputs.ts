import type { Analysis } from "../pipeline/analysis/schema.ts";
import type { Approach, Approaches } from "../pipeline/approaches/schema.ts";
import type { ImplementationResult } from "../pipeline/implementation/schema.ts";
import type { Judging } from "../pipeline/judging/schema.ts";
import { isPhase, PHASE_TITLES } from "../pipeline/phases.ts";
import type { PrResult } from "../pipeline/pr/schema.ts";
import { type Block, divider, header, paginate, type SlackMessage, sections } from "./blocks.ts";
import { bullets, esc } from "./text.ts";

/**
 * Phase outputs as thread replies, readable at a glance: the summary first,
 * then the details, each part as long as it needs to be (split, never cut).
 */
interface Parts {
  summary: string;
  details: { title: string; text: string }[];
}

const code = (s: string) => `\`${esc(s).replace(/`/g, "'")}\``;

function analysisParts(a: Analysis): Parts {
  return {
    summary: esc(a.summary),
    details: [
      {
        title: "Relevant files",
        text: bullets(a.relevantFiles.map((f) => `${code(f.path)} — ${esc(f.why)}`)),
      },
      { title: "Constraints", text: bullets(a.constraints.map(esc)) },
      { title: "Risks", text: bullets(a.risks.map(esc)) },
      { title: "Open questions", text: bullets(a.openQuestions.map(esc)) },
    ],
  };
}

export function approachText(a: Approach, i: number, full: boolean): string {
  const head = `*${i + 1}. ${esc(a.name)}* · effort ${a.effort}\n${esc(a.summary)}`;
  if (!full) return head;
  return [
    head,
    `*Steps*\n${bullets(a.steps.map(esc))}`,
    `*Files* ${a.files.map(code).join(", ") || "_none_"}`,
    `*Risks*\n${bullets(a.risks.map(esc))}`,
  ].join("\n");
}

function approachesParts(o: Approaches): Parts {
  return {
    summary: `${o.approaches.length} approaches: ${o.approaches.map((a, i) => `${i + 1}. ${esc(a.name)} (${a.effort})`).join(", ")}.`,
    details: o.approaches.map((a, i) => ({ title: "", text: approachText(a, i, true) })),
  };
}

const VERDICT = {
  pass: "PASS",
  pass_with_conditions: "PASS with conditions",
  fail: "FAIL",
} as const;
const VERDICT_ICON = {
  pass: ":white_check_mark:",
  pass_with_conditions: ":large_yellow_circle:",
  fail: ":x:",
} as const;

function judgingParts(j: Judging): Parts {
  return {
    summary: `${VERDICT_ICON[j.verdict]} *${VERDICT[j.verdict]}* for “${esc(j.approachName)}”${j.conditions.length ? ` with ${j.conditions.length} condition(s)` : ""}.`,
    details: [
      { title: "Conditions", text: bullets(j.conditions.map(esc)) },
      {
        title: "Judges",
        text: j.judges
          .map(
            (x) =>
              `${VERDICT_ICON[x.verdict]} *${x.lens}*: ${VERDICT[x.verdict]} (correctness ${x.scores.correctness}, fit ${x.scores.fit}, risk ${x.scores.risk}, testability ${x.scores.testability})\n${esc(x.rationale)}`,
          )
          .join("\n\n"),
      },
    ],
  };
}

type ImplementationOutput =
  | ImplementationResult
  | { failed: true; reason: string; totalCoderAttempts: number };

function implementationParts(r: ImplementationOutput): Parts {
  if ("failed" in r) {
    return {
      summary: `:warning: Implementation did not pass: ${esc(r.reason)} (${r.totalCoderAttempts} coder attempts).`,
      details: [],
    };
  }
  const gates = r.gateResults
    .map((g) => `${g.status === "passed" ? ":white_check_mark:" : ":x:"} ${g.gate}`)
    .join("  ");
  return {
    summary: `Branch ${code(r.branch)} after ${r.totalCoderAttempts} coder attempt(s). Gates: ${gates || "_none_"}`,
    details: [
      {
        title: "Files changed",
        text: bullets(r.filesChanged.map((f) => `${f.changeType} ${code(f.path)}`)),
      },
      { title: "Conditions addressed", text: bullets(r.conditionsAddressed.map(esc)) },
    ],
  };
}

function prParts(r: PrResult): Parts {
  const text = r.url
    ? `${esc(r.message.replace(r.url, "").trim()).replace(/:$/, "")}: <${r.url}>`
    : esc(r.message);
  return { summary: text, details: [] };
}

function partsOf(phase: string, output: unknown): Parts {
  switch (phase) {
    case "analysis":
      return analysisParts(output as Analysis);
    case "approaches":
      return approachesParts(output as Approaches);
    case "judging":
      return judgingParts(output as Judging);
    case "implementation":
      return implementationParts(output as ImplementationOutput);
    case "pr":
      return prParts(output as PrResult);
    default:
      return { summary: `\`\`\`${esc(JSON.stringify(output, null, 2))}\`\`\``, details: [] };
  }
}

/** The reply (or replies, when long) showing one phase's output in the run's thread. */
export function phaseOutputMessages(
  phase: string,
  revision: number,
  output: unknown,
  redact: (s: string) => string,
): SlackMessage[] {
  const title = `${isPhase(phase) ? PHASE_TITLES[phase] : phase}${revision > 0 ? ` (revision ${revision + 1})` : ""}`;
  const p = partsOf(phase, output);
  const blocks: Block[] = [header(title), ...sections(redact(p.summary))];
  for (const d of p.details) {
    blocks.push(divider(), ...sections(redact(d.title ? `*${d.title}*\n${d.text}` : d.text)));
  }
  return paginate(blocks, redact(`${title}: ${p.summary}`));
}
