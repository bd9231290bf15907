import type { CtaOption, CtaRow } from "./ctas.ts";
import type { Queryable } from "./pool.ts";
import { oneRow } from "./rows.ts";

export type PlanStage = "waves" | "finishing" | "done";

export interface IntegrationRun {
  commit: string;
  passed: boolean;
  results: { gate: string; status: "passed" | "failed"; output: string }[];
}

export interface PlanRow {
  run_id: string;
  revision: number;
  base_commit: string;
  feature_commit: string;
  wave: number;
  concurrency: number;
  stage: PlanStage;
  finish_gen: number;
  integration: IntegrationRun | null;
}

export async function insertPlan(
  db: Queryable,
  p: { runId: string; revision: number; baseCommit: string; concurrency: number },
): Promise<PlanRow> {
  const res = await db.query<PlanRow>(
    `insert into impl_plans (run_id, revision, base_commit, feature_commit, concurrency)
     values ($1, $2, $3, $3, $4) returning *`,
    [p.runId, p.revision, p.baseCommit, p.concurrency],
  );
  return oneRow(res, "insert into impl_plans");
}

export async function getPlan(db: Queryable, runId: string): Promise<PlanRow | undefined> {
  return (await db.query<PlanRow>("select * from impl_plans where run_id = $1", [runId])).rows[0];
}

/**
 * The run's serialisation point: merges, wave changes and pauses of one run
 * happen one at a time, whichever worker (or CTA decision) makes them.
 */
export async function lockPlan(db: Queryable, runId: string): Promise<PlanRow | undefined> {
  return (await db.query<PlanRow>("select * from impl_plans where run_id = $1 for update", [runId]))
    .rows[0];
}

/** The columns updatePlan may set: SQL names come from this list, never from the patch. */
const PLAN_PATCH_COLUMNS = [
  "feature_commit",
  "wave",
  "stage",
  "finish_gen",
  "integration",
] as const satisfies readonly (keyof PlanRow)[];

export async function updatePlan(
  db: Queryable,
  runId: string,
  patch: Partial<Pick<PlanRow, (typeof PLAN_PATCH_COLUMNS)[number]>>,
): Promise<void> {
  const keys = PLAN_PATCH_COLUMNS.filter((k) => Object.hasOwn(patch, k));
  const values = keys.map((k) =>
    k === "integration" ? JSON.stringify(patch.integration) : patch[k],
  );
  await db.query(
    `update impl_plans set ${keys.map((k, i) => `${k} = $${i + 2}`).join(", ")}, updated_at = now()
     where run_id = $1`,
    [runId, ...values],
  );
}

/** Every CTA row has these columns; a pause sets them: the task it is about, or (null) its wave. */
export type PauseCtaRow = CtaRow & { task_key: string | null; wave: number | null };

/**
 * A pause in the middle of the implementation phase. Its revision is the
 * count of the phase's questions so far, so each pause is a new row (the
 * phase's own question after it keeps the revision of the planning job).
 */
export async function insertPauseCta(
  db: Queryable,
  c: { runId: string; prompt: string; options: CtaOption[]; taskKey: string | null; wave: number },
): Promise<PauseCtaRow> {
  const res = await db.query<PauseCtaRow>(
    `insert into ctas (run_id, phase, revision, kind, prompt, options, task_key, wave)
     values ($1, 'implementation',
       (select count(*) from ctas where run_id = $1 and phase = 'implementation'), 'pause', $2, $3, $4, $5)
     returning *`,
    [c.runId, c.prompt, JSON.stringify(c.options), c.taskKey, c.wave],
  );
  return oneRow(res, "insert into ctas (a pause)");
}
