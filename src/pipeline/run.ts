import { type CtaKind, type CtaOption, cancelPendingCtas, insertCta } from "../db/ctas.ts";
import { insertEvent } from "../db/events.ts";
import { savePhaseResult } from "../db/phases.ts";
import { insertPauseCta } from "../db/plans.ts";
import { type Pool, type Queryable, withTransaction } from "../db/pool.ts";
import { FINISHED, type RunRow, requireRun, updateRun } from "../db/runs.ts";
import { PaulError } from "../errors.ts";
import { dropQueuedJobs, enqueue, type JobSpec } from "../queue/jobs.ts";
import type { PhasePayload } from "./jobs.ts";
import { type OutputRef, readOutput } from "./phase.ts";

/** The first event of a run started with PAUL_SANDBOX=off; faces show it in the run's header. */
export const SANDBOX_OFF_NOTICE =
  "⚠ Sandbox off (PAUL_SANDBOX=off): agents' commands and gates run unsandboxed, with your files in reach.";

export async function cancelRunTx(tx: Queryable, runId: string, message: string): Promise<void> {
  await cancelPendingCtas(tx, runId);
  await updateRun(tx, runId, { status: "cancelled", error: message });
  await dropQueuedJobs(tx, runId);
  await insertEvent(tx, runId, "run_finished", { status: "cancelled", message });
}

export async function cancelRun(pool: Pool, runId: string, by: string): Promise<RunRow> {
  return withTransaction(pool, async (tx) => {
    const run = await requireRun(tx, runId);
    if (FINISHED.includes(run.status)) {
      throw new PaulError(
        "bad_input",
        `Run ${runId} has already finished (${run.status}); nothing to cancel.`,
      );
    }
    await cancelRunTx(tx, runId, `Cancelled by ${by}.`);
    return requireRun(tx, runId);
  });
}

export async function failRun(
  pool: Pool,
  runId: string,
  err: PaulError,
  phase: string,
  redact: (s: string) => string,
): Promise<void> {
  await withTransaction(pool, async (tx) => {
    const run = await requireRun(tx, runId);
    if (FINISHED.includes(run.status)) return;
    await cancelPendingCtas(tx, runId);
    const message = redact(`${phase} failed: ${err.toUserText()}`);
    await updateRun(tx, runId, { status: "failed", error: message });
    await insertEvent(tx, runId, "run_finished", { status: "failed", message });
  });
}

export interface Ask {
  kind: CtaKind;
  prompt: string;
  options: CtaOption[];
}

/** The run is over when this phase's output is stored. */
export interface Finish {
  finish: "done";
  message: string;
}

/** The run goes on to the next phase of its flow with no question (a follow-up's small change). */
export interface Continue {
  nextJob: JobSpec<PhasePayload>;
  message: string;
}

/**
 * Ask the people steering the run, in the caller's transaction: the question,
 * the run's status (a pause or a wait) and the event every face follows.
 */
export async function askQuestion(
  tx: Queryable,
  q: Ask & { runId: string } & (
      | { phase: string; revision: number }
      /** An implementation pause about one task (or a whole wave when taskKey is null). */
      | { taskKey: string | null; wave: number }
    ),
): Promise<void> {
  const cta = "wave" in q ? await insertPauseCta(tx, q) : await insertCta(tx, q);
  await updateRun(tx, q.runId, { status: q.kind === "pause" ? "paused" : "waiting" });
  await insertEvent(tx, q.runId, "cta_created", {
    ctaId: cta.id,
    kind: cta.kind,
    prompt: cta.prompt,
  });
}

/**
 * The end of every phase: store its output and, unless the run is over, ask
 * the person what next — in one transaction, so a crash leaves either nothing
 * (the job is retried) or both.
 */
export async function completePhase<O>(
  pool: Pool,
  run: Pick<RunRow, "id">,
  def: OutputRef<string, O>,
  revision: number,
  output: O,
  next: Ask | Finish | Continue,
): Promise<void> {
  await withTransaction(pool, (tx) => completePhaseTx(tx, run, def, revision, output, next));
}

/** completePhase inside the caller's transaction (the implementation finishes under its run lock). */
export async function completePhaseTx<O>(
  tx: Queryable,
  run: Pick<RunRow, "id">,
  def: OutputRef<string, O>,
  revision: number,
  output: O,
  next: Ask | Finish | Continue,
): Promise<void> {
  const current = await requireRun(tx, run.id);
  if (FINISHED.includes(current.status)) return;
  const phase = def.name;
  await savePhaseResult(tx, run.id, phase, revision, readOutput(def, output));
  await insertEvent(tx, run.id, "phase_output", { phase, revision });
  if ("finish" in next) {
    await updateRun(tx, run.id, { status: "done" });
    await insertEvent(tx, run.id, "run_finished", { status: "done", message: next.message });
    return;
  }
  if ("nextJob" in next) {
    await insertEvent(tx, run.id, "progress", { phase, message: next.message });
    await enqueue(tx, next.nextJob, { runId: run.id, revision: 0 });
    return;
  }
  await askQuestion(tx, { runId: run.id, phase, revision, ...next });
}
