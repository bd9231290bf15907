import type { Deps } from "../src/pipeline/deps.ts";
import { jobCatalog } from "../src/pipeline/phases.ts";
import type { JobRunner } from "../src/queue/worker.ts";

/**
 * graphile-worker's task list, derived from the job catalog: one task per job
 * kind, each parsing its payload and running its job. Nothing here is written
 * per phase; a new phase's jobs appear by being in the registry.
 */
export function taskList(deps: Deps): Record<string, JobRunner> {
  return Object.fromEntries(
    jobCatalog().map((job) => [job.name, (payload, helpers) => job.handle(deps, payload, helpers)]),
  );
}
