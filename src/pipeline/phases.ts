/** The one place the phase order is defined. */
export const PHASE_ORDER = ["analysis", "approaches", "judging", "implementation", "pr"] as const;
export type Phase = (typeof PHASE_ORDER)[number];

export const PHASE_TITLES: Record<Phase, string> = {
  analysis: "Analysis",
  approaches: "Approaches",
  judging: "Judging",
  implementation: "Implementation",
  pr: "Pull request",
};

export function nextPhase(p: Phase): Phase | undefined {
  return PHASE_ORDER[PHASE_ORDER.indexOf(p) + 1];
}

export function isPhase(s: string): s is Phase {
  return (PHASE_ORDER as readonly string[]).includes(s);
}
