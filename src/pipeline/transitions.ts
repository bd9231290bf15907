import type { CtaKind, Decision } from "../db/ctas.ts";
import type { RunKind } from "../db/runs.ts";
import { invariant } from "../errors.ts";
import { nextPhase, type Phase, phaseAsking } from "./phases.ts";

// The options live apart, so phases can name them without importing the registry.
export { choiceOptions, OPTIONS, pauseOptions } from "./options.ts";

/**
 * What a decision on a CTA leads to. Pure, so the whole steering logic can be
 * read (and tested) in one place; cta.ts applies it in one transaction.
 */
export type Step =
  | { kind: "enqueue"; phase: Phase; memory: string; memoryKind: "feedback" | "decision" }
  | { kind: "ask_choice_again" }
  | { kind: "cancel" }
  /** A paused implementation task (or wave): retry it, or skip it and what depends on it. */
  | { kind: "task"; action: "retry" | "skip" };

const decided = (phase: Phase, memory: string): Step => ({
  kind: "enqueue",
  phase,
  memory,
  memoryKind: "decision",
});
const feedback = (phase: Phase, memory: string): Step => ({
  kind: "enqueue",
  phase,
  memory,
  memoryKind: "feedback",
});

/**
 * What a decision leads to, for a question asked after `phase` (the phase the
 * question is filed under). No phase is named here: going on means the
 * registry's next phase, going back means the phase again.
 */
export function stepFor(
  flow: RunKind,
  phase: Phase,
  kind: CtaKind,
  d: Decision,
  who: string,
): Step {
  if (d.action === "cancel") return { kind: "cancel" };
  const next = nextPhase(flow, phase);
  switch (kind) {
    case "approval":
      if (d.action === "approve" && next)
        return decided(next, `${who} approved the ${phase} result.`);
      if (d.action === "revise") return feedback(phase, d.feedback);
      if (d.action === "choose_another") return { kind: "ask_choice_again" };
      break;
    // A choice is asked again under the phase it starts, so its own phase is
    // not enough: the phase whose output it chooses from is the one that asks it.
    case "choice": {
      const offers = phaseAsking("choice");
      const starts = offers ? nextPhase(flow, offers) : undefined;
      if (d.action === "choose" && starts)
        return decided(starts, `${who} chose approach ${d.approach + 1}.`);
      if (d.action === "regenerate" && offers)
        return feedback(offers, d.feedback || `${who} asked for different approaches.`);
      break;
    }
    case "judging_failed":
      if (d.action === "choose_another") return { kind: "ask_choice_again" };
      if (d.action === "override" && next)
        return decided(next, `${who} overrode the failed review.`);
      break;
    case "create_pr":
      if (d.action === "approve" && next) return decided(next, `${who} asked for the PR.`);
      break;
    case "pause":
      if (d.action === "retry" || d.action === "skip") return { kind: "task", action: d.action };
      break;
  }
  invariant(false, `decision ${d.action} is not an option of a ${kind} question after ${phase}`);
}
