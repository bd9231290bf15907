import { type CtaRow, claimCta, type Decision, DecisionSchema, getCta } from "../db/ctas.ts";
import { insertEvent } from "../db/events.ts";
import { addMemory } from "../db/memories.ts";
import { type Pool, type Queryable, withTransaction } from "../db/pool.ts";
import { FINISHED, getRun, updateRun } from "../db/runs.ts";
import { invariant, PaulError } from "../errors.ts";
import { askChoiceAgain } from "./approaches/choice.ts";
import { enqueuePhase } from "./flow.ts";
import { decidePause } from "./implementation/decisions.ts";
import { isPhase, phaseAsking } from "./phases.ts";
import { cancelRunTx } from "./run.ts";
import { stepFor } from "./transitions.ts";

export interface Resolution {
  cta: CtaRow;
  /** What happened, in words for the person who decided and everyone watching. */
  summary: string;
}

/**
 * Resolve a CTA and start what follows, in one transaction: the conditional
 * UPDATE means that of any number of concurrent clicks exactly one proceeds,
 * and the next job is enqueued on the same connection so it exists only if the
 * decision does.
 */
export async function resolveCta(
  pool: Pool,
  ctaId: string,
  raw: Decision,
  by: string,
): Promise<Resolution> {
  const parsed = DecisionSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PaulError(
      "bad_input",
      `That decision is not valid: ${parsed.error.issues[0]?.message}`,
    );
  }
  const decision = parsed.data;
  return withTransaction(pool, async (tx) => {
    const cta = await claimCta(tx, ctaId, decision, by);
    if (!cta) throw await staleError(tx, ctaId);
    if (
      !cta.options.some(
        (o) =>
          o.action === decision.action &&
          (o.approach === undefined ||
            decision.action !== "choose" ||
            o.approach === decision.approach),
      )
    ) {
      throw new PaulError(
        "bad_input",
        `"${decision.action}" is not one of this question's options.`,
      );
    }
    const run = await getRun(tx, cta.run_id);
    if (!run || FINISHED.includes(run.status)) throw await staleError(tx, ctaId);
    invariant(isPhase(cta.phase), `question ${cta.id} is filed under unknown phase ${cta.phase}`);
    const step = stepFor(run.kind, cta.phase, cta.kind, decision, by);
    await insertEvent(tx, run.id, "cta_resolved", { ctaId: cta.id, action: decision.action, by });
    if (step.kind === "cancel") {
      await cancelRunTx(tx, run.id, `Cancelled by ${by}.`);
      return { cta, summary: `${by} cancelled the run.` };
    }
    if (step.kind === "ask_choice_again") {
      await askChoiceAgain(tx, run.id);
      await updateRun(tx, run.id, { phase: phaseAsking("choice") ?? run.phase });
      return { cta, summary: `${by} chose to pick another approach.` };
    }
    if (step.kind === "task") {
      return { cta, summary: await decidePause(tx, cta, step.action, by) };
    }
    await addMemory(tx, {
      runId: run.id,
      repoKey: run.repo_key,
      scope: "run",
      kind: step.memoryKind,
      phase: cta.phase,
      content: step.memory,
      author: by,
    });
    await enqueuePhase(tx, run.id, step.phase);
    await updateRun(tx, run.id, { status: "running", phase: step.phase });
    return { cta, summary: `${by} chose ${decision.action}; next: ${step.phase}.` };
  });
}

// Reads on the caller's connection: a second pool connection per click would
// exhaust the pool under a burst of concurrent clicks.
async function staleError(pool: Queryable, ctaId: string): Promise<PaulError> {
  const cta = await getCta(pool, ctaId);
  if (!cta) return new PaulError("not_found", `There is no question with id ${ctaId}.`);
  const run = await getRun(pool, cta.run_id);
  if (cta.status === "resolved") {
    return new PaulError(
      "cta_stale",
      `This was already decided: ${cta.decided_by} chose "${cta.decision?.action}".`,
    );
  }
  return new PaulError(
    "cta_stale",
    `This question is closed: run ${cta.run_id} is ${run?.status ?? "gone"}.`,
  );
}
