import { type CtaRow, chosenApproach } from "../../db/ctas.ts";
import { getPhaseResult, nextRevision } from "../../db/phases.ts";
import type { Queryable } from "../../db/pool.ts";
import { invariant } from "../../errors.ts";
import { JUDGING } from "../judging/schema.ts";
import { choiceOptions } from "../options.ts";
import { readOutput } from "../phase.ts";
import { type Ask, askQuestion } from "../run.ts";
import { APPROACHES, type Approach, type Approaches } from "./schema.ts";

/** The question that picks an approach; the only place it is worded. */
export function choiceQuestion(o: Approaches): Ask {
  return {
    kind: "choice",
    prompt: "Which approach should I pursue?",
    options: choiceOptions(o.approaches.map((a) => a.name)),
  };
}

/**
 * Ask again, after the judges failed the chosen approach. The first choice is
 * filed under the approaches it offers; this one under the judging it starts,
 * as the first is answered and a question is asked once per phase revision.
 */
export async function askChoiceAgain(tx: Queryable, runId: string): Promise<void> {
  await askQuestion(tx, {
    runId,
    phase: "judging",
    revision: await nextRevision(tx, runId, "judging"),
    ...choiceQuestion(await latestApproaches(tx, runId)),
  });
}

export async function latestApproaches(
  db: Queryable,
  runId: string,
  revision?: number,
): Promise<Approaches> {
  const r = await getPhaseResult(db, runId, APPROACHES.name, revision);
  invariant(r, `run ${runId} has no approaches to choose from`);
  return readOutput(APPROACHES, r.output);
}

/** The approaches a choice offers: its own revision, so a regenerated set can't relabel an old question. */
export async function choiceApproaches(
  db: Queryable,
  cta: CtaRow,
): Promise<Approaches | undefined> {
  if (cta.kind !== "choice") return undefined;
  return latestApproaches(db, cta.run_id, cta.phase === APPROACHES.name ? cta.revision : undefined);
}

/**
 * The approach the run pursues, for every phase that needs it: the one most
 * recently chosen, else the one the judges judged (a run whose earlier phases
 * were carried over). Judging judges it; implementation builds it; the PR
 * describes it.
 */
export async function pursuedApproach(
  db: Queryable,
  runId: string,
): Promise<{ index: number; approach: Approach }> {
  const { approaches } = await latestApproaches(db, runId);
  const judged = await getPhaseResult(db, runId, JUDGING.name);
  const index =
    (await chosenApproach(db, runId)) ??
    (judged ? readOutput(JUDGING, judged.output).approachIndex : undefined);
  invariant(index !== undefined, `run ${runId} has no chosen approach`);
  const approach = approaches[index];
  invariant(approach, `run ${runId} chose approach ${index + 1}, which does not exist`);
  return { index, approach };
}
