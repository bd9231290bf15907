import { randomBytes } from "node:crypto";
import { PaulError } from "../errors.ts";
import type { GatePlan } from "../gates/discover.ts";
import type { Queryable } from "./pool.ts";
import { oneRow } from "./rows.ts";

export type RunStatus = "running" | "waiting" | "paused" | "done" | "failed" | "cancelled";
export const FINISHED: readonly RunStatus[] = ["done", "failed", "cancelled"];
/** Which flow of phases a run goes through: a whole build, or a follow-up on a build's branch. */
export type RunKind = "build" | "followup";

export interface RunRow {
  id: string;
  feature: string;
  repo_spec: string;
  repo_url: string;
  repo_key: string;
  base_branch: string;
  base_commit: string | null;
  status: RunStatus;
  phase: string;
  kind: RunKind;
  /** A follow-up's build: the run whose branch and PR it continues. */
  parent_run_id: string | null;
  /** A follow-up's request as stored (parsed by the request phase's schema). */
  request: unknown;
  /** The face that started the run: "cli", "slack", or a new face's own name. */
  origin: string;
  /** The face's own reference to the run (Slack: `channel/thread_ts`); the pipeline never reads it. */
  origin_ref: string | null;
  requester: string;
  budget_usd: string;
  budget_tokens: string;
  /** Pinned with the base commit; null until the first job pins it (runs from Slack). */
  gates: GatePlan | null;
  branch: string | null;
  pr_url: string | null;
  pr_number: number | null;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/** Short, typeable run ids: r- plus 6 base32 characters. */
export function newRunId(): string {
  const alphabet = "abcdefghjkmnpqrstvwxyz23456789";
  const bytes = randomBytes(6);
  return `r-${[...bytes].map((b) => alphabet[b % alphabet.length]).join("")}`;
}

export interface NewRun {
  id: string;
  feature: string;
  repoSpec: string;
  repoUrl: string;
  repoKey: string;
  baseBranch: string;
  /** Unknown until the first job pins it (runs created from Slack). */
  baseCommit?: string | undefined;
  origin: string;
  originRef?: string | undefined;
  requester: string;
  budgetUsd: number;
  budgetTokens: number;
  gates?: GatePlan | undefined;
  kind?: RunKind | undefined;
  parentRunId?: string | undefined;
  /** A follow-up works on its build's branch from the start. */
  branch?: string | undefined;
  request?: unknown;
}

export async function insertRun(db: Queryable, r: NewRun): Promise<RunRow> {
  const res = await db.query<RunRow>(
    `insert into runs (id, feature, repo_spec, repo_url, repo_key, base_branch, base_commit, origin, origin_ref,
       requester, budget_usd, budget_tokens, gates, kind, parent_run_id, request, branch)
     values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) returning *`,
    [
      r.id,
      r.feature,
      r.repoSpec,
      r.repoUrl,
      r.repoKey,
      r.baseBranch,
      r.baseCommit ?? null,
      r.origin,
      r.originRef ?? null,
      r.requester,
      r.budgetUsd,
      r.budgetTokens,
      r.gates === undefined ? null : JSON.stringify(r.gates),
      r.kind ?? "build",
      r.parentRunId ?? null,
      r.request === undefined ? null : JSON.stringify(r.request),
      r.branch ?? null,
    ],
  );
  return oneRow(res, "the inserted run");
}

export async function getRun(db: Queryable, id: string): Promise<RunRow | undefined> {
  return (await db.query<RunRow>("select * from runs where id = $1", [id])).rows[0];
}

export async function requireRun(db: Queryable, id: string): Promise<RunRow> {
  const run = await getRun(db, id);
  if (!run)
    throw new PaulError("not_found", `No run with id ${id}.`, {
      hint: "list runs with `paul runs`",
    });
  return run;
}

const RUN_PATCH_COLUMNS = [
  "status",
  "phase",
  "branch",
  "pr_url",
  "pr_number",
  "error",
  "budget_usd",
] as const satisfies readonly (keyof RunRow)[];

export async function updateRun(
  db: Queryable,
  id: string,
  patch: Partial<Pick<RunRow, (typeof RUN_PATCH_COLUMNS)[number]>>,
): Promise<RunRow | undefined> {
  const keys = RUN_PATCH_COLUMNS.filter((k) => Object.hasOwn(patch, k));
  if (keys.length === 0) return getRun(db, id);
  const sets = keys.map((k, i) => `${k} = $${i + 2}`);
  const finishing = patch.status && FINISHED.includes(patch.status);
  const res = await db.query<RunRow>(
    `update runs set ${sets.join(", ")}, updated_at = now()${finishing ? ", finished_at = now()" : ""}
     where id = $1 returning *`,
    [id, ...keys.map((k) => patch[k])],
  );
  return res.rows[0];
}

export async function listRuns(db: Queryable, limit = 20): Promise<RunRow[]> {
  return (await db.query<RunRow>("select * from runs order by created_at desc limit $1", [limit]))
    .rows;
}

/** A build's follow-ups, oldest first. */
export async function listFollowups(db: Queryable, parentId: string): Promise<RunRow[]> {
  return (
    await db.query<RunRow>("select * from runs where parent_run_id = $1 order by created_at, id", [
      parentId,
    ])
  ).rows;
}

/** Of these run ids, the runs that have finished: their workspaces may be swept. */
export async function finishedRunsAmong(db: Queryable, ids: string[]): Promise<RunRow[]> {
  return (
    await db.query<RunRow>("select * from runs where id = any($1) and status = any($2)", [
      ids,
      FINISHED,
    ])
  ).rows;
}

/** Pin the base commit and gates once; a second pin (a retried first job) keeps the first. */
export async function pinBase(
  db: Queryable,
  id: string,
  commit: string,
  gates: GatePlan,
): Promise<RunRow | undefined> {
  const res = await db.query<RunRow>(
    "update runs set base_commit = coalesce(base_commit, $2), gates = coalesce(gates, $3), updated_at = now() where id = $1 returning *",
    [id, commit, JSON.stringify(gates)],
  );
  return res.rows[0];
}
