import type { CtaKind, CtaOption, Decision } from "../db/ctas.ts";
import type { Phase } from "./phases.ts";

/**
 * What a decision on a CTA leads to. Pure, so the whole steering logic can be
 * read (and tested) in one place; cta.ts applies it in one transaction.
 */
export type Step =
  | { kind: "enqueue"; phase: Phase; memory?: string; memoryKind?: "feedback" | "decision" }
  | { kind: "ask_choice_again" }
  | { kind: "cancel" }
  /** A paused implementation task (or wave): retry it, or skip it and what depends on it. */
  | { kind: "task"; action: "retry" | "skip" };

export function stepFor(phase: Phase, kind: CtaKind, d: Decision, who: string): Step {
  if (d.action === "cancel") return { kind: "cancel" };
  switch (kind) {
    case "approval":
      if (d.action === "approve") {
        const next: Phase =
          phase === "analysis" ? "approaches" : phase === "judging" ? "implementation" : "pr";
        return {
          kind: "enqueue",
          phase: next,
          memory: `${who} approved the ${phase} result.`,
          memoryKind: "decision",
        };
      }
      if (d.action === "revise")
        return { kind: "enqueue", phase, memory: d.feedback, memoryKind: "feedback" };
      if (d.action === "choose_another") return { kind: "ask_choice_again" };
      break;
    case "choice":
      if (d.action === "choose")
        return {
          kind: "enqueue",
          phase: "judging",
          memory: `${who} chose approach ${d.approach + 1}.`,
          memoryKind: "decision",
        };
      if (d.action === "regenerate")
        return {
          kind: "enqueue",
          phase: "approaches",
          memory: d.feedback || `${who} asked for different approaches.`,
          memoryKind: "feedback",
        };
      break;
    case "judging_failed":
      if (d.action === "choose_another") return { kind: "ask_choice_again" };
      if (d.action === "override")
        return {
          kind: "enqueue",
          phase: "implementation",
          memory: `${who} overrode the failed review.`,
          memoryKind: "decision",
        };
      break;
    case "create_pr":
      if (d.action === "approve")
        return {
          kind: "enqueue",
          phase: "pr",
          memory: `${who} asked for the PR.`,
          memoryKind: "decision",
        };
      break;
    case "pause":
      if (d.action === "retry" || d.action === "skip") return { kind: "task", action: d.action };
      break;
  }
  throw new Error(`decision ${d.action} is not an option of a ${kind} CTA`);
}

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
