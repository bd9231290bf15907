import { makeRedactor } from "../../redact.ts";

export interface PullRequestBodyInput {
  feature: string;
  requester: string;
  runId: string;
  analysisSummary: string;
  approach: { name: string; summary: string; steps: string[] };
  conditions: { text: string; addressedBy?: string }[];
  gates: { gate: string; status: "passed" | "failed"; output: string }[];
  totalCoderAttempts: number;
  costUsd: number;
  tokens: number;
  filesChanged: { path: string; changeType: string }[];
}

/** GitHub refuses bodies over 65,536 characters; the margin covers the final redaction pass. */
export const MAX_BODY_CHARS = 60_000;
export const MAX_TITLE_CHARS = 72;

// Per-part caps, so one huge part (a gate's log, say) can't push the others out of the body.
const CAP = {
  feature: 4_000,
  analysis: 8_000,
  approachSummary: 4_000,
  step: 1_000,
  steps: 6_000,
  condition: 1_000,
  conditions: 6_000,
  gateOutput: 8_000,
  gateOutputs: 16_000,
  files: 6_000,
  /** Names, paths and other one-line labels. */
  name: 300,
};

/** Keeps the start of prose; `tail` keeps the end too, where logs put the error. */
function cut(text: string, max: number, keep: "head" | "tail" = "head"): string {
  if (text.length <= max) return text;
  const dropped = text.length - max;
  if (keep === "head") return `${text.slice(0, max)}\n… [${dropped} more characters cut]`;
  const head = Math.floor(max / 4);
  return `${text.slice(0, head)}\n… [${dropped} characters cut] …\n${text.slice(text.length - (max - head))}`;
}

/** A fence longer than any backtick run inside, so output can't close it early. */
function fenced(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = "`".repeat(longest + 1);
  return longest ? `${ticks} ${text} ${ticks}` : `${ticks}${text}${ticks}`;
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();
const cell = (text: string) => oneLine(text).replace(/\|/g, "\\|");
const quote = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((line) => `> ${line}`.trimEnd())
    .join("\n");

/** Fill a list up to a character budget, then say how many were left out. */
function within(items: string[], budget: number, noun: string): string[] {
  const out: string[] = [];
  let used = 0;
  for (const item of items) {
    if (used + item.length > budget) {
      out.push(`- … ${items.length - out.length} more ${noun} not shown`);
      break;
    }
    out.push(item);
    used += item.length + 1;
  }
  return out;
}

function gatesSection(gates: PullRequestBodyInput["gates"], r: (s: string) => string): string {
  if (gates.length === 0) return "No gates were found for this repository.";
  const rows = gates.map(
    (g) =>
      `| ${cell(cut(r(g.gate), CAP.name))} | ${g.status === "passed" ? "✅ passed" : "❌ failed"} |`,
  );
  const parts = ["| Gate | Result |", "| --- | --- |", ...rows];
  const failed = gates.filter((g) => g.status === "failed");
  let budget = CAP.gateOutputs;
  for (const [i, g] of failed.entries()) {
    if (budget < 200) {
      parts.push("", `Output of ${failed.length - i} more failing gates not shown.`);
      break;
    }
    const output = cut(
      r(g.output).trim() || "(no output)",
      Math.min(CAP.gateOutput, budget),
      "tail",
    );
    budget -= output.length;
    const summary = `❌ ${cut(oneLine(r(g.gate)), CAP.name).replace(/[<>&]/g, "")} output`;
    parts.push("", `<details><summary>${summary}</summary>`, "", fenced(output), "", "</details>");
  }
  return parts.join("\n");
}

/**
 * The PR description: what was asked, what was decided and why, how the
 * reviewers' conditions were met, and what the gates said. Everything passes
 * `redact` before it is cut, so a cut can't leave half a secret that no
 * longer matches a token shape.
 */
export function renderPullRequestBody(
  input: PullRequestBodyInput,
  redact: (s: string) => string,
): string {
  const r = redact;
  const steps = input.approach.steps.map((s, i) => `${i + 1}. ${cut(oneLine(r(s)), CAP.step)}`);
  const conditions = input.conditions.map((c) => {
    const text = cut(oneLine(r(c.text)), CAP.condition);
    return c.addressedBy?.trim()
      ? `- [x] ${text}\n  - Addressed by: ${cut(oneLine(r(c.addressedBy)), CAP.condition)}`
      : `- [ ] ${text}\n  - Not addressed.`;
  });
  const files = input.filesChanged.map(
    (f) => `- ${code(cut(oneLine(r(f.path)), CAP.name))} (${oneLine(r(f.changeType))})`,
  );
  const blocks = [
    "## Request",
    quote(cut(r(input.feature), CAP.feature)),
    `Requested by ${cut(oneLine(r(input.requester)), CAP.name)} · run ${code(input.runId)}`,
    "## Analysis",
    cut(r(input.analysisSummary).trim(), CAP.analysis),
    `## Approach: ${cut(oneLine(r(input.approach.name)), CAP.name)}`,
    cut(r(input.approach.summary).trim(), CAP.approachSummary),
    within(steps, CAP.steps, "steps").join("\n"),
    "## Review conditions",
    conditions.length
      ? within(conditions, CAP.conditions, "conditions").join("\n")
      : "The reviewers set no conditions.",
    "## Gates",
    gatesSection(input.gates, r),
    "## Files changed",
    files.length ? within(files, CAP.files, "files").join("\n") : "No files changed.",
    "## Attempts and cost",
    [
      `- Coder attempts: ${input.totalCoderAttempts}`,
      `- Tokens: ${input.tokens.toLocaleString("en-US")}`,
      `- Cost: $${input.costUsd.toFixed(2)}`,
    ].join("\n"),
    `---\n<sub>Opened by Paul for run ${code(input.runId)}.</sub>`,
  ];
  const body = r(blocks.filter((b) => b.trim()).join("\n\n"));
  if (body.length <= MAX_BODY_CHARS) return `${body}\n`;
  const marker = "\n\n… [the description was cut to fit GitHub's limit]\n";
  return body.slice(0, MAX_BODY_CHARS - marker.length) + marker;
}

/** The feature's first line, tidied and cut at a word to GitHub's display width. */
export function renderPullRequestTitle(
  feature: string,
  redact: (s: string) => string = makeRedactor([]),
): string {
  const line = oneLine(
    redact(feature)
      .split("\n")
      .find((l) => l.trim()) ?? "",
  );
  const text = line.replace(/[\s.:;,!]+$/, "");
  if (!text) return "Paul: requested change";
  const title = text.charAt(0).toUpperCase() + text.slice(1);
  if (title.length <= MAX_TITLE_CHARS) return title;
  const room = title.slice(0, MAX_TITLE_CHARS - 1);
  const atWord = room.replace(/\s+\S*$/, "");
  return `${atWord.length > MAX_TITLE_CHARS / 2 ? atWord : room}…`;
}
