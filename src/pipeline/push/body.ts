export const FOLLOWUPS_START = "<!-- paul:followups -->";
export const FOLLOWUPS_END = "<!-- /paul:followups -->";

export interface FollowupLine {
  runId: string;
  /** What was asked, in a few words ("review comment by alice: rename x"). */
  what: string;
  commit?: string | undefined;
  attempts: number;
  gates: string;
  costUsd: number;
}

/** Someone's words quoted in Paul's own text must not ping people or open markup. */
const quiet = (s: string) =>
  s.replaceAll("@", "@\u200b").replaceAll("<", "&lt;").replace(/\s+/g, " ");

export function followupsSection(items: readonly FollowupLine[]): string {
  const lines = items.map(
    (f) =>
      `- **${f.runId}** ${quiet(f.what).slice(0, 200)}: ${f.commit ? `pushed \`${f.commit.slice(0, 7)}\`` : "nothing pushed"}, ${f.attempts} coder attempt(s), gates ${f.gates}, $${f.costUsd.toFixed(2)}`,
  );
  return [FOLLOWUPS_START, "## Follow-ups", "", ...lines, FOLLOWUPS_END].join("\n");
}

/** The PR body with its Follow-ups section replaced (or added at the end); the rest is kept as people left it. */
export function withFollowups(body: string, section: string): string {
  const start = body.indexOf(FOLLOWUPS_START);
  const end = body.indexOf(FOLLOWUPS_END);
  if (start >= 0 && end > start) {
    return `${body.slice(0, start)}${section}${body.slice(end + FOLLOWUPS_END.length)}`;
  }
  return `${body.trimEnd()}\n\n${section}\n`;
}
