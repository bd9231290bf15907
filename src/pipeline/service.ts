import { type AttemptRow, listAttempts } from "../db/attempts.ts";
import { type CtaRow, type Decision, getCta, listCtas, pendingCta } from "../db/ctas.ts";
import { insertEvent } from "../db/events.ts";
import { listSources, type SourceRow } from "../db/followups.ts";
import { type GateRow, listGateResults } from "../db/gate-results.ts";
import { activeSeconds } from "../db/job-time.ts";
import { getPhaseResult, listPhaseResults } from "../db/phases.ts";
import { type Queryable, withTransaction } from "../db/pool.ts";
import { listFollowups, listRuns, type RunRow, requireRun, updateRun } from "../db/runs.ts";
import { listTasks, type TaskRow } from "../db/tasks.ts";
import { type UsageTotals, usageTotals } from "../db/usage.ts";
import { PaulError } from "../errors.ts";
import type { Signal } from "../github/signals.ts";
import { reviveJobs } from "../queue/jobs.ts";
import { heldElsewhere } from "../queue/worker.ts";
import { choiceApproaches } from "./approaches/choice.ts";
import type { Approaches } from "./approaches/schema.ts";
import { type Resolution, resolveCta } from "./cta.ts";
import type { Deps } from "./deps.ts";
import type { Doc } from "./doc.ts";
import { enqueuePhase, startRun } from "./flow.ts";
import { type FollowupOrigin, type FollowupStart, startFollowup } from "./followups.ts";
import { readOutput } from "./phase.ts";
import { isPhase, outputDoc, phaseTitle } from "./phases.ts";
import { type Draft, githubRepoRef, prepareOnGithub, reachRepo, requireBranch } from "./prepare.ts";
import { PUSH } from "./push/schema.ts";
import { type FollowupRequest, FollowupRequestSchema } from "./request/schema.ts";
import { describeRequest } from "./request/work.ts";
import { cancelRun } from "./run.ts";
import { receiveSignal } from "./watch/poll.ts";

/** Checking a request needs no database: a terminal validates before opening one. */
export { prepareNow } from "./prepare.ts";

/** Who starts a run and where it came from; `ref` is the face's own reference, opaque here. */
export interface Origin {
  origin: string;
  requester: string;
  ref?: string | undefined;
  budgetUsd?: number | undefined;
}

export interface PhaseView {
  phase: string;
  title: string;
  revision: number;
  doc: Doc;
}

/** Everything about one run, for `paul show` and any face's status view. */
export interface RunView {
  run: RunRow;
  usage: UsageTotals;
  secondsWorked: number;
  phases: PhaseView[];
  questions: CtaRow[];
  tasks: TaskRow[];
  attempts: AttemptRow[];
  gates: GateRow[];
  /** A build's follow-ups, oldest first, and every event it was asked to act on. */
  followups: FollowupView[];
  sources: SourceRow[];
}

export interface FollowupView {
  run: RunRow;
  usage: UsageTotals;
  what: string;
  pushed: string | undefined;
}

function describeFollowup(run: RunRow): string {
  const r = FollowupRequestSchema.safeParse(run.request);
  return r.success ? describeRequest(r.data) : run.feature;
}

async function pushedCommit(pool: Queryable, runId: string): Promise<string | undefined> {
  const r = await getPhaseResult(pool, runId, PUSH.name);
  return r ? readOutput(PUSH, r.output).commit : undefined;
}

/** A question with what it is about: the output it follows, and for a choice the approaches offered. */
export interface QuestionView {
  cta: CtaRow;
  about?: PhaseView | undefined;
  approaches?: Approaches | undefined;
}

/**
 * The one way into the pipeline for every face (terminal, Slack, whatever
 * comes next): faces parse, call one of these, and render. Preparation,
 * validation, the queue and the database are behind it.
 */
export function runService(deps: Deps) {
  const { pool, cfg } = deps;
  return {
    /** A GitHub repository (and a base branch in it) checked through the API, for a face setting a default. */
    async checkGithubRepo(r: { owner: string; name: string; base?: string | undefined }) {
      const access = await reachRepo(deps, r.owner, r.name);
      if (r.base) await requireBranch(deps, { ...r, access }, r.base, "flag");
      return { repo: githubRepoRef(cfg.github.webUrl, r.owner, r.name), access };
    },

    /** Check a GitHub request through the API only (Slack must answer in seconds); the first job clones. */
    prepareOnGithub: (req: Parameters<typeof prepareOnGithub>[1]) => prepareOnGithub(deps, req),

    /**
     * Create the run and queue its first job in one transaction. `attach`
     * runs in that transaction, for a face that records its own reference
     * (a Slack thread) with the run or not at all.
     */
    start(
      draft: Draft,
      o: Origin,
      attach?: (tx: Queryable, run: RunRow) => Promise<void>,
    ): Promise<RunRow> {
      return startRun(
        pool,
        {
          id: draft.id,
          feature: draft.feature,
          repoSpec: draft.repo.spec,
          repoUrl: draft.repo.url,
          repoKey: draft.repo.key,
          baseBranch: draft.base.branch,
          baseCommit: draft.base.commit,
          origin: o.origin,
          originRef: o.ref,
          requester: o.requester,
          budgetUsd: o.budgetUsd ?? cfg.budget.usd,
          budgetTokens: cfg.budget.tokens,
          gates: draft.gates,
        },
        attach,
      );
    },

    /**
     * A follow-up on a build's branch (or on the build a follow-up belongs
     * to). Refused with what to do when the build has not pushed its branch;
     * an event that already started one returns `started: false`.
     */
    followup: (
      buildId: string,
      request: FollowupRequest,
      o: FollowupOrigin,
      attach?: (tx: Queryable, run: RunRow) => Promise<void>,
    ): Promise<FollowupStart> => startFollowup(pool, cfg, buildId, request, o, attach),

    /**
     * Something GitHub said (a webhook delivery) about a PR Paul watches,
     * queued as a job of that PR's build; returns the builds it concerns.
     */
    githubSignal: (s: Signal, deliveryId: string): Promise<string[]> =>
      receiveSignal(deps, s, `delivery:${deliveryId}`),

    /** Decide a question; exactly one of any number of concurrent answers proceeds. */
    answer: (ctaId: string, decision: Decision, by: string): Promise<Resolution> =>
      resolveCta(pool, ctaId, decision, by),

    /**
     * Continue a stopped or interrupted run: its jobs are made runnable again,
     * and a run with no job and no open question gets its phase queued afresh.
     * Says which of its jobs another live Paul process is running.
     */
    async resume(id: string, o: { by: string; budgetUsd?: number | undefined }) {
      const run = await requireRun(pool, id);
      if (run.status === "done" || run.status === "cancelled") {
        throw new PaulError(
          "bad_input",
          `Run ${id} has already ${run.status === "done" ? "finished" : "been cancelled"}; nothing to resume.`,
          { hint: "start a new one with paul build" },
        );
      }
      await withTransaction(pool, async (tx) => {
        if (o.budgetUsd !== undefined) await updateRun(tx, id, { budget_usd: String(o.budgetUsd) });
        const { queued } = await reviveJobs(tx, id);
        const open = await pendingCta(tx, id);
        if (!open && !queued && isPhase(run.phase)) {
          await updateRun(tx, id, { status: "running", error: null });
          await enqueuePhase(tx, id, run.phase);
          await insertEvent(tx, id, "progress", {
            phase: run.phase,
            message: `resumed by ${o.by}`,
          });
        }
      });
      return { run, heldElsewhere: await heldElsewhere(pool, id) };
    },

    cancel: (id: string, by: string): Promise<RunRow> => cancelRun(pool, id, by),

    /** The latest runs, newest first, each with what it has cost. */
    async list(limit: number): Promise<{ run: RunRow; usage: UsageTotals }[]> {
      const runs = await listRuns(pool, limit);
      return Promise.all(
        runs.map(async (run) => ({ run, usage: await usageTotals(pool, run.id) })),
      );
    },

    async show(id: string): Promise<RunView> {
      const run = await requireRun(pool, id);
      return {
        run,
        usage: await usageTotals(pool, id),
        secondsWorked: await activeSeconds(pool, id),
        phases: (await listPhaseResults(pool, id)).map((p) => ({
          phase: p.phase,
          title: phaseTitle(p.phase),
          revision: p.revision,
          doc: outputDoc(p.phase, p.output),
        })),
        questions: await listCtas(pool, id),
        tasks: await listTasks(pool, id),
        attempts: await listAttempts(pool, id),
        gates: await listGateResults(pool, id),
        followups: await Promise.all(
          (await listFollowups(pool, id)).map(async (f) => ({
            run: f,
            usage: await usageTotals(pool, f.id),
            what: describeFollowup(f),
            pushed: await pushedCommit(pool, f.id),
          })),
        ),
        sources: await listSources(pool, id),
      };
    },

    /** A question as a face shows it; undefined when there is no such question. */
    async question(ctaId: string): Promise<QuestionView | undefined> {
      const cta = await getCta(pool, ctaId);
      if (!cta) return undefined;
      const approaches = await choiceApproaches(pool, cta);
      const phase = cta.kind === "choice" ? "approaches" : cta.phase;
      const result = await getPhaseResult(pool, cta.run_id, phase);
      const about = result && {
        phase,
        title: phaseTitle(phase),
        revision: result.revision,
        doc: outputDoc(phase, result.output),
      };
      return { cta, about, approaches };
    },
  };
}

export type RunService = ReturnType<typeof runService>;
