import type { Queryable } from "./pool.ts";
import { oneRow } from "./rows.ts";

export type SourceOutcome = "started" | "refused" | "ignored" | "noted";

export interface SourceRow {
  key: string;
  parent_run_id: string;
  run_id: string | null;
  outcome: SourceOutcome;
  detail: string | null;
  created_at: Date;
}

/**
 * Claim an event (a comment, a review, a thread reply, a CI failure) for a
 * build. Only the first claim of a key succeeds, so a webhook redelivered, or
 * seen again by a poll, never starts a second follow-up. Call it in the
 * transaction that acts on the event: a rollback releases the claim.
 */
export async function claimSource(
  db: Queryable,
  s: { key: string; parentRunId: string; outcome: SourceOutcome; detail?: string | undefined },
): Promise<boolean> {
  const res = await db.query(
    `insert into followup_sources (key, parent_run_id, outcome, detail) values ($1, $2, $3, $4)
     on conflict (key) do nothing`,
    [s.key, s.parentRunId, s.outcome, s.detail ?? null],
  );
  return res.rowCount === 1;
}

export async function linkSource(db: Queryable, key: string, runId: string): Promise<void> {
  await db.query("update followup_sources set run_id = $2 where key = $1", [key, runId]);
}

export async function getSource(db: Queryable, key: string): Promise<SourceRow | undefined> {
  return (await db.query<SourceRow>("select * from followup_sources where key = $1", [key]))
    .rows[0];
}

export async function listSources(db: Queryable, parentId: string): Promise<SourceRow[]> {
  return (
    await db.query<SourceRow>(
      "select * from followup_sources where parent_run_id = $1 order by created_at, key",
      [parentId],
    )
  ).rows;
}

export interface CiMemo {
  /** Per head commit: check names re-run once as possibly flaky. */
  rerun: Record<string, string[]>;
  /** Per head commit: what was already done about its CI ("green", "fixing", "asked", "base"). */
  handled: Record<string, string>;
}

export interface WatchRow {
  run_id: string;
  owner: string;
  repo: string;
  pr_number: number;
  state: "watching" | "closed";
  etags: Record<string, string>;
  head_sha: string | null;
  ci: Partial<CiMemo>;
  ci_rounds: number;
  polled_at: Date | null;
  poll_gen: number;
  created_at: Date;
}

/** Start watching a build's PR (again, after a push); names are stored lower-case, as GitHub matches them. */
export async function watchPr(
  db: Queryable,
  w: { runId: string; owner: string; repo: string; prNumber: number },
): Promise<WatchRow> {
  const res = await db.query<WatchRow>(
    `insert into pr_watches (run_id, owner, repo, pr_number) values ($1, lower($2), lower($3), $4)
     on conflict (run_id) do update set state = 'watching' returning *`,
    [w.runId, w.owner, w.repo, w.prNumber],
  );
  return oneRow(res, "the PR watch");
}

export async function getWatch(db: Queryable, runId: string): Promise<WatchRow | undefined> {
  return (await db.query<WatchRow>("select * from pr_watches where run_id = $1", [runId])).rows[0];
}

/** The watch row, locked for the caller's transaction: one CI decision per PR at a time. */
export async function lockWatch(db: Queryable, runId: string): Promise<WatchRow | undefined> {
  return (
    await db.query<WatchRow>("select * from pr_watches where run_id = $1 for update", [runId])
  ).rows[0];
}

export async function watchFor(
  db: Queryable,
  owner: string,
  repo: string,
  prNumber: number,
): Promise<WatchRow | undefined> {
  return (
    await db.query<WatchRow>(
      "select * from pr_watches where owner = lower($1) and repo = lower($2) and pr_number = $3",
      [owner, repo, prNumber],
    )
  ).rows[0];
}

/** The watched PRs whose head commit is `sha` (a check or status event names only the commit). */
export async function watchesAtSha(
  db: Queryable,
  owner: string,
  repo: string,
  sha: string,
): Promise<WatchRow[]> {
  return (
    await db.query<WatchRow>(
      `select * from pr_watches where owner = lower($1) and repo = lower($2) and head_sha = $3
         and state = 'watching'`,
      [owner, repo, sha],
    )
  ).rows;
}

export async function activeWatches(db: Queryable): Promise<WatchRow[]> {
  return (await db.query<WatchRow>("select * from pr_watches where state = 'watching'")).rows;
}

const WATCH_PATCH = [
  "state",
  "etags",
  "head_sha",
  "ci",
  "ci_rounds",
  "polled_at",
  "poll_gen",
] as const;

export async function updateWatch(
  db: Queryable,
  runId: string,
  patch: Partial<Pick<WatchRow, (typeof WATCH_PATCH)[number]>>,
): Promise<void> {
  const keys = WATCH_PATCH.filter((k) => Object.hasOwn(patch, k));
  if (keys.length === 0) return;
  const json = (k: string, v: unknown) => (k === "etags" || k === "ci" ? JSON.stringify(v) : v);
  await db.query(
    `update pr_watches set ${keys.map((k, i) => `${k} = $${i + 2}`).join(", ")} where run_id = $1`,
    [runId, ...keys.map((k) => json(k, patch[k]))],
  );
}
