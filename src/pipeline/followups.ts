import type { Config } from "../config.ts";
import { claimSource, getSource, linkSource } from "../db/followups.ts";
import { getPhaseResult } from "../db/phases.ts";
import type { Pool, Queryable } from "../db/pool.ts";
import { getRun, newRunId, type RunRow, requireRun } from "../db/runs.ts";
import { PaulError } from "../errors.ts";
import { startRun } from "./flow.ts";
import { PR } from "./pr/schema.ts";
import { type FollowupRequest, FollowupRequestSchema } from "./request/schema.ts";

export interface FollowupOrigin {
  origin: string;
  requester: string;
  ref?: string | undefined;
  budgetUsd?: number | undefined;
  /** The event it answers (gh:comment:<id>, slack:<channel>:<ts>): one follow-up per event, ever. */
  sourceKey?: string | undefined;
}

export type FollowupStart =
  | { started: true; run: RunRow }
  /** The event already started one (a webhook redelivered, a poll that saw it too). */
  | { started: false; run: RunRow | undefined };

/** The build a follow-up continues: a follow-up of a follow-up continues the same build. */
export async function buildOf(db: Queryable, id: string): Promise<RunRow> {
  const run = await requireRun(db, id);
  if (run.kind === "build" || !run.parent_run_id) return run;
  return requireRun(db, run.parent_run_id);
}

/** Why a build cannot take a follow-up now, in words for the person asking; undefined when it can. */
export async function notFollowable(db: Queryable, build: RunRow): Promise<PaulError | undefined> {
  if (build.status !== "done") {
    const why =
      build.status === "failed" || build.status === "cancelled"
        ? `Run ${build.id} ${build.status === "failed" ? "failed" : "was cancelled"} before it pushed a branch, so there is nothing to follow up on.`
        : `Run ${build.id} is still going (${build.phase}); a follow-up starts once it has pushed its branch.`;
    const hint =
      build.status === "failed" || build.status === "cancelled"
        ? "start a new run with paul build"
        : "steer it with its open question, or wait for it to finish";
    return new PaulError("bad_input", why, { hint });
  }
  if (!build.branch || !(await getPhaseResult(db, build.id, PR.name))) {
    return new PaulError("bad_input", `Run ${build.id} finished without pushing a branch.`, {
      hint: "start a new run with paul build",
    });
  }
  return undefined;
}

/**
 * A follow-up run on a build's branch: its own row, budget, tasks and
 * questions, linked to the build. Created with its first job and, for an
 * event, the event's claim in one transaction: the same comment seen twice
 * starts one follow-up.
 */
export async function startFollowup(
  pool: Pool,
  cfg: Config,
  buildId: string,
  raw: FollowupRequest,
  o: FollowupOrigin,
  attach?: (tx: Queryable, run: RunRow) => Promise<void>,
): Promise<FollowupStart> {
  const parsed = FollowupRequestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PaulError(
      "bad_input",
      `That follow-up is not valid: ${parsed.error.issues[0]?.message}`,
      {
        hint: 'say what to change, e.g. paul followup r-abc123 "rename farewell to goodbye"',
      },
    );
  }
  const request = parsed.data;
  const build = await buildOf(pool, buildId);
  const blocked = await notFollowable(pool, build);
  if (blocked) throw blocked;
  const key = o.sourceKey;
  if (key) {
    const seen = await getSource(pool, key);
    if (seen)
      return { started: false, run: seen.run_id ? await getRun(pool, seen.run_id) : undefined };
  }
  let duplicate = false;
  const run = await startRun(
    pool,
    {
      id: newRunId(),
      feature: request.text.split("\n")[0]?.trim().slice(0, 200) || "follow-up",
      repoSpec: build.repo_spec,
      repoUrl: build.repo_url,
      repoKey: build.repo_key,
      // Pinned by the first job: the branch's head when the follow-up starts.
      baseBranch: build.branch ?? "",
      origin: o.origin,
      originRef: o.ref,
      requester: o.requester,
      budgetUsd: o.budgetUsd ?? cfg.budget.usd,
      budgetTokens: cfg.budget.tokens,
      kind: "followup",
      parentRunId: build.id,
      request,
      branch: build.branch ?? undefined,
    },
    async (tx, created) => {
      if (key) {
        duplicate = !(await claimSource(tx, { key, parentRunId: build.id, outcome: "started" }));
        // A concurrent twin claimed it between the look and here: this run must not exist.
        if (duplicate) throw new PaulError("cta_stale", `event ${key} already started a follow-up`);
        await linkSource(tx, key, created.id);
      }
      if (attach) await attach(tx, created);
    },
  ).catch(async (e: unknown) => {
    if (!duplicate || !key) throw e;
    return undefined;
  });
  if (!run) {
    const seen = key ? await getSource(pool, key) : undefined;
    return { started: false, run: seen?.run_id ? await getRun(pool, seen.run_id) : undefined };
  }
  return { started: true, run };
}
