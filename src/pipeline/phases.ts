import type { RunKind } from "../db/runs.ts";
import { invariant } from "../errors.ts";
import type { JobSpec } from "../queue/jobs.ts";
import { analysis } from "./analysis/index.ts";
import { approaches } from "./approaches/index.ts";
import type { Doc } from "./doc.ts";
import { implementation } from "./implementation/index.ts";
import { phaseJob } from "./job.ts";
import type { AnyJob, PhasePayload } from "./jobs.ts";
import { judging } from "./judging/index.ts";
import type { PhaseDef } from "./phase.ts";
import { readOutput } from "./phase.ts";
import { pr } from "./pr/index.ts";
import { push } from "./push/index.ts";
import { request } from "./request/index.ts";

/** A phase as the rest of Paul sees it, its output type erased: what it is called, how it runs, how it reads. */
export interface PhaseEntry<N extends string = string> {
  name: N;
  title: string;
  numbering: "outputs" | "questions";
  asks: PhaseDef["asks"];
  /** The phase's own job and the jobs that continue it. */
  job: JobSpec<PhasePayload> & AnyJob;
  jobs: readonly AnyJob[];
  /** A stored output, parsed with the phase's schema and rendered as a document. */
  doc(raw: unknown): Doc;
}

function entry<N extends string, O>(def: PhaseDef<N, O>): PhaseEntry<N> {
  return {
    name: def.name,
    title: def.title,
    numbering: def.numbering,
    asks: def.asks,
    job: phaseJob(def),
    jobs: def.jobs ?? [],
    doc: (raw) => def.render(readOutput(def, raw)),
  };
}

/**
 * The registry: every phase, in the order a run goes through them. A new
 * phase is a folder exporting its definition, and a line here.
 */
export const PHASES = [
  entry(analysis),
  entry(approaches),
  entry(judging),
  entry(implementation),
  entry(pr),
  entry(request),
  entry(push),
] as const;

export type Phase = (typeof PHASES)[number]["name"];
export const PHASE_ORDER: readonly Phase[] = PHASES.map((p) => p.name);

/** A value for every phase, keyed by name. */
export function byPhase<T>(f: (p: PhaseEntry<Phase>) => T): Record<Phase, T> {
  // Safe: the keys are exactly the names of PHASES, which is what Phase is.
  return Object.fromEntries(PHASES.map((p) => [p.name, f(p)])) as Record<Phase, T>;
}

export const PHASE_TITLES: Readonly<Record<Phase, string>> = byPhase((p) => p.title);

export function isPhase(s: string): s is Phase {
  return PHASES.some((p) => p.name === s);
}

/**
 * The phases each kind of run goes through, in order. A follow-up skips
 * analysis, approaches and judging: its request stands for them, and it ends
 * with a push to the build's branch instead of opening a PR.
 */
export const FLOWS: Readonly<Record<RunKind, readonly Phase[]>> = {
  build: ["analysis", "approaches", "judging", "implementation", "pr"],
  followup: ["request", "implementation", "push"],
};

export function firstPhase(kind: RunKind): Phase {
  const first = FLOWS[kind][0];
  invariant(first, `the ${kind} flow has no phases`);
  return first;
}

export function nextPhase(kind: RunKind, p: string): Phase | undefined {
  const flow = FLOWS[kind];
  const i = flow.findIndex((x) => x === p);
  return i < 0 ? undefined : flow[i + 1];
}

/** The first phase of a build whose output is followed by this kind of question. */
export function phaseAsking(kind: PhaseDef["asks"][number]): Phase | undefined {
  return FLOWS.build.find((name) => phaseNamed(name).asks.includes(kind));
}

/** A phase's name for people; a name no phase has (an old run's) is shown as stored. */
export function phaseTitle(name: string): string {
  return PHASES.find((p) => p.name === name)?.title ?? name;
}

export function phaseNamed(name: string): PhaseEntry<Phase> {
  const found = PHASES.find((p) => p.name === name);
  invariant(found, `there is no phase called "${name}"`);
  return found;
}

export function phaseJobNamed(name: string): JobSpec<PhasePayload> {
  return phaseNamed(name).job;
}

/** Every job Paul runs, for the task list: each phase's job and the jobs that continue it. */
export function jobCatalog(): AnyJob[] {
  return PHASES.flatMap((p) => [p.job, ...p.jobs]);
}

/** A stored phase output as a document; an output of no known phase is shown as its JSON. */
export function outputDoc(phase: string, raw: unknown): Doc {
  const found = PHASES.find((p) => p.name === phase);
  if (found) return found.doc(raw);
  return { summary: [JSON.stringify(raw, null, 2)], sections: [] };
}
