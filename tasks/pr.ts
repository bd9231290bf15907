import type { Task } from "graphile-worker";
import type { Deps } from "../src/pipeline/deps.ts";
import { runPhaseJob } from "../src/pipeline/job.ts";
import { parsePayload } from "../src/queue/catalog.ts";

export default (deps: Deps): Task =>
  (payload, helpers) =>
    runPhaseJob(deps, "pr", parsePayload("pr", payload), helpers);
