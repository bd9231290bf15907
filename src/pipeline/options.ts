import type { CtaKind, CtaOption } from "../db/ctas.ts";

/** The buttons of each kind of question; transitions.ts says what each leads to. */
export const OPTIONS: Record<Exclude<CtaKind, "choice">, CtaOption[]> = {
  approval: [
    { action: "approve", label: "Approve" },
    { action: "revise", label: "Revise" },
    { action: "cancel", label: "Cancel" },
  ],
  judging_failed: [
    { action: "choose_another", label: "Choose another approach" },
    { action: "override", label: "Override and implement" },
    { action: "cancel", label: "Cancel" },
  ],
  create_pr: [
    { action: "approve", label: "Create PR" },
    { action: "cancel", label: "Cancel" },
  ],
  pause: pauseOptions("task"),
};

/** The options of an implementation pause about `subject` ("T2", "wave 1"). */
export function pauseOptions(subject: string): CtaOption[] {
  return [
    { action: "retry", label: `Retry ${subject}` },
    { action: "skip", label: `Skip ${subject}` },
    { action: "cancel", label: "Cancel run" },
  ];
}

export function choiceOptions(names: string[]): CtaOption[] {
  return [
    ...names.map((n, i) => ({
      action: "choose" as const,
      label: `${i + 1}. ${n}`.slice(0, 75),
      approach: i,
    })),
    { action: "regenerate", label: "Regenerate" },
    { action: "cancel", label: "Cancel" },
  ];
}
