import { type CtaKind, type CtaOption, cancelPendingCtas, insertCta } from "../db/ctas.ts";
import { insertEvent } from "../db/events.ts";
import { nextRevision, savePhaseResult } from "../db/phases.ts";
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
import { enqueue } from "../queue/catalog.ts";
import { sandboxPolicy } from "../workspace/sandbox-policy.ts";
import type { Phase } from "./phases.ts";

/** The first event of a run started with PAUL_SANDBOX=off; faces show it in the run's header. */
export const SANDBOX_OFF_NOTICE =
  "⚠ Sandbox off (PAUL_SANDBOX=off): agents' commands and gates run unsandboxed, with your files in reach.";

/**
 * Create the run and queue its first phase in one transaction. `attach` writes
 * the face's own rows for the run (Slack: its thread) in that transaction too,
 * so the run exists with them or not at all.
 */
export async function startRun(
  pool: Pool,
  r: NewRun,
  attach?: (tx: Queryable, run: RunRow) => Promise<void>,
): Promise<RunRow> {
  return withTransaction(pool, async (tx) => {
    const run = await insertRun(tx, r);
    await attach?.(tx, run);
    await insertEvent(tx, run.id, "run_created", {
      feature: r.feature,
      repo: r.repoSpec,
      base: r.baseBranch,
    });
    if (!sandboxPolicy().enabled) {
      await insertEvent(tx, run.id, "progress", {
        phase: "analysis",
        message: SANDBOX_OFF_NOTICE,
      });
    }
    await enqueue(tx, "analysis", { runId: run.id, revision: 0 });
    return run;
  });
}

export async function cancelRunTx(tx: Queryable, runId: string, message: string): Promise<void> {
  await cancelPendingCtas(tx, runId);
  await updateRun(tx, runId, { status: "cancelled", error: message });
  // Queued phase jobs of a cancelled run would only find it cancelled; drop them now.
  await tx.query(
    "delete from graphile_worker._private_jobs where locked_at is null and key like $1",
    [`${runId}:%`],
  );
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

/**
 * The end of every phase: store its output and, unless the run is over, ask
 * the person what next — in one transaction, so a crash leaves either nothing
 * (the job is retried) or both.
 */
export async function completePhase(
  pool: Pool,
  run: RunRow,
  phase: Phase,
  revision: number,
  output: unknown,
  next: Ask | { finish: "done"; message: string },
): Promise<void> {
  await withTransaction(pool, (tx) => completePhaseTx(tx, run, phase, revision, output, next));
}

/** completePhase inside the caller's transaction (the implementation finishes under its run lock). */
export async function completePhaseTx(
  tx: Queryable,
  run: Pick<RunRow, "id">,
  phase: Phase,
  revision: number,
  output: unknown,
  next: Ask | { finish: "done"; message: string },
): Promise<void> {
  const current = await requireRun(tx, run.id);
  if (FINISHED.includes(current.status)) return;
  await savePhaseResult(tx, run.id, phase, revision, output);
  await insertEvent(tx, run.id, "phase_output", { phase, revision });
  if ("finish" in next) {
    await updateRun(tx, run.id, { status: "done" });
    await insertEvent(tx, run.id, "run_finished", { status: "done", message: next.message });
    return;
  }
  const cta = await insertCta(tx, { runId: run.id, phase, revision, ...next });
  await updateRun(tx, run.id, { status: next.kind === "pause" ? "paused" : "waiting" });
  await insertEvent(tx, run.id, "cta_created", {
    ctaId: cta.id,
    kind: cta.kind,
    prompt: cta.prompt,
  });
}

/**
 * Queue a phase with a fresh revision. Analysis, approaches and judging are
 * numbered by their stored results; implementation and pr by the questions
 * asked after them, since a paused implementation stores no result to count.
 */
export async function enqueuePhase(tx: Queryable, runId: string, phase: Phase): Promise<number> {
  const revision =
    phase === "implementation" || phase === "pr"
      ? Number(
          (
            await tx.query<{ n: string }>(
              "select count(*) as n from ctas where run_id = $1 and phase = $2",
              [runId, phase],
            )
          ).rows[0]?.n ?? 0,
        )
      : await nextRevision(tx, runId, phase);
  await enqueue(tx, phase, { runId, revision });
  return revision;
}
