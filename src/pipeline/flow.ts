import { countCtas } from "../db/ctas.ts";
import { insertEvent } from "../db/events.ts";
import { nextRevision } from "../db/phases.ts";
import { type Pool, type Queryable, withTransaction } from "../db/pool.ts";
import { insertRun, type NewRun, type RunRow, updateRun } from "../db/runs.ts";
import { enqueue } from "../queue/jobs.ts";
import { sandboxPolicy } from "../workspace/sandbox-policy.ts";
import { firstPhase, phaseJobNamed, phaseNamed } from "./phases.ts";
import { SANDBOX_OFF_NOTICE } from "./run.ts";

/*
 * What moves a run from phase to phase through the queue. Apart from run.ts
 * because it needs the registry: the phases' own modules import run.ts, and
 * must not import the registry that imports them.
 */

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
        phase: firstPhase(run.kind),
        message: SANDBOX_OFF_NOTICE,
      });
    }
    await updateRun(tx, run.id, { phase: firstPhase(run.kind) });
    await enqueue(tx, phaseJobNamed(firstPhase(run.kind)), { runId: run.id, revision: 0 });
    return run;
  });
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
