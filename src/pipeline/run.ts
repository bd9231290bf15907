import {
  type CtaKind,
  type CtaOption,
  cancelPendingCtas,
  countCtas,
  insertCta,
} from "../db/ctas.ts";
import { insertEvent } from "../db/events.ts";
import { nextRevision, savePhaseResult } from "../db/phases.ts";
import { insertPauseCta } from "../db/plans.ts";
import { type Pool, type Queryable, withTransaction } from "../db/pool.ts";
import {
  FINISHED,
  insertRun,
  type NewRun,
  type RunRow,
  requireRun,
  updateRun,
} from "../db/runs.ts";
import { PaulError } from "../errors.ts";
import { dropQueuedJobs, enqueue } from "../queue/jobs.ts";
import { sandboxPolicy } from "../workspace/sandbox-policy.ts";
import { type OutputRef, readOutput } from "./phase.ts";
import { firstPhase, phaseJobNamed, phaseNamed } from "./phases.ts";

/** The first event of a run started with PAUL_SANDBOX=off; faces show it in the run's header. */
export const SANDBOX_OFF_NOTICE =
  "⚠ Sandbox off (PAUL_SANDBOX=off): agents' commands and gates run unsandboxed, with your files in reach.";

/** Create the run and queue its first phase in one transaction. */
export async function startRun(
  pool: Pool,
  r: NewRun,
  attach?: (tx: Queryable, run: RunRow) => Promise<void>,
): Promise<RunRow> {
  return withTransaction(pool, async (tx) => {
    const run = await insertRun(tx, r);
    if (attach) await attach(tx, run);
    await insertEvent(tx, run.id, "run_created", {
      feature: r.feature,
      repo: r.repoSpec,
      base: r.baseBranch,
    });
    if (!sandboxPolicy().enabled) {
      await insertEvent(tx, run.id, "progress", {
        phase: firstPhase(),
        message: SANDBOX_OFF_NOTICE,
      });
    }
    await enqueue(tx, phaseJobNamed(firstPhase()), { runId: run.id, revision: 0 });
    return run;
  });
}

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
  next: Ask | Finish,
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
  next: Ask | Finish,
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
  await askQuestion(tx, { runId: run.id, phase, revision, ...next });
}

/**
 * Queue a phase with a fresh revision, numbered as its definition says: by
 * its stored outputs, or by the questions asked after it.
 */
export async function enqueuePhase(tx: Queryable, runId: string, phase: string): Promise<number> {
  const def = phaseNamed(phase);
  const revision =
    def.numbering === "questions"
      ? await countCtas(tx, runId, phase)
      : await nextRevision(tx, runId, phase);
  await enqueue(tx, phaseJobNamed(def.name), { runId, revision });
  return revision;
}
