import { type AgentTool, readOnlyTools, type UsageSink } from "../agents/index.ts";
import { insertEvent, type RunEventKind, type RunEventMap } from "../db/events.ts";
import { type MemoryRow, memoriesFor } from "../db/memories.ts";
import { getPhaseResult } from "../db/phases.ts";
import type { RunRow } from "../db/runs.ts";
import { invariant } from "../errors.ts";
import type { GatePlan } from "../gates/discover.ts";
import { commandSetup, workspacePaths } from "../workspace/paths.ts";
import { mirrorWith, type RepoRef } from "../workspace/repo.ts";
import { createWorktree } from "../workspace/worktree.ts";
import type { Deps } from "./deps.ts";
import { type OutputRef, readOutput } from "./phase.ts";
import { type Ask, type Continue, completePhase, type Finish } from "./run.ts";
import { usageSink } from "./usage.ts";

export interface Checkout {
  repo: RepoRef;
  mirror: string;
  dir: string;
}

/** Everything a phase may touch; phases never see Slack, the terminal or the queue. */
export interface PhaseContext<O = unknown> {
  deps: Deps;
  run: RunRow;
  phase: string;
  revision: number;
  signal: AbortSignal;
  emit<K extends RunEventKind>(kind: K, data: RunEventMap[K]): Promise<void>;
  progress(message: string): Promise<void>;
  memories(): Promise<MemoryRow[]>;
  /** An earlier phase's latest output, parsed with its schema. */
  output<T>(ref: OutputRef<string, T>): Promise<T>;
  usage(): UsageSink;
  gates(): GatePlan;
  repo(): RepoRef;
  /** A read-only checkout of the base commit, rebuilt from the remote if this machine lacks it. */
  checkout(): Promise<Checkout>;
  /** The read-only tools over that checkout, their commands sandboxed like a coder's. */
  readOnlyTools(co: Checkout): AgentTool[];
  /** Store the output (checked against the phase's schema) and ask what next, or finish the run. */
  complete(output: O, next: Ask | Finish | Continue): Promise<void>;
}

export function phaseContext<O>(
  deps: Deps,
  run: RunRow,
  def: OutputRef<string, O>,
  revision: number,
  signal: AbortSignal,
): PhaseContext<O> {
  const { pool, cfg } = deps;
  const phase = def.name;
  const repo = () => repoFromRun(run);
  return {
    deps,
    run,
    phase,
    revision,
    signal,
    emit: (kind, data) => insertEvent(pool, run.id, kind, data),
    progress: (message) => insertEvent(pool, run.id, "progress", { phase, message }),
    memories: () => memoriesFor(pool, run.id, run.repo_key),
    async output<T>(ref: OutputRef<string, T>): Promise<T> {
      const r = await getPhaseResult(pool, run.id, ref.name);
      invariant(r, `run ${run.id} has no ${ref.name} output yet`);
      return readOutput(ref, r.output);
    },
    usage: () => usageSink(pool, run, phase, cfg.budget.minutes),
    gates: () => {
      invariant(run.gates, `run ${run.id} has no gates pinned`);
      return run.gates;
    },
    repo,
    async checkout() {
      const ref = repo();
      const auth = cfg.github.token ? { token: cfg.github.token } : undefined;
      const mirror = await mirrorWith(ref, cfg.workDir, run.base_commit, auth);
      const dir = workspacePaths(cfg.workDir, run.id).baseDir;
      await createWorktree(mirror, dir, `paul-base/${run.id}`, run.base_commit ?? run.base_branch);
      return { repo: ref, mirror, dir };
    },
    readOnlyTools(co) {
      const setup = commandSetup({
        home: cfg.home,
        workDir: cfg.workDir,
        runId: run.id,
        root: co.dir,
        mirror: co.mirror,
      });
      return readOnlyTools(co.dir, { ...setup, timeoutMs: cfg.commandTimeoutMs });
    },
    complete: (output, next) => completePhase(pool, run, def, revision, output, next),
  };
}

/** The repository as resolved when the run was created; no path lookups on a worker. */
export function repoFromRun(run: RunRow): RepoRef {
  const [, owner, name] = /^github:([^/]+)\/(.+)$/.exec(run.repo_key) ?? [];
  return {
    spec: run.repo_spec,
    url: run.repo_url,
    key: run.repo_key,
    ...(owner && name ? { github: { owner, name } } : {}),
  };
}
