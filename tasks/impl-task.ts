import type { Task } from "graphile-worker";
import type { Deps } from "../src/pipeline/deps.ts";
import { runImplTask } from "../src/pipeline/implementation/task-job.ts";
import { guardJob } from "../src/pipeline/job.ts";
import { parsePayload } from "../src/queue/catalog.ts";

export default (deps: Deps): Task =>
  (payload, helpers) => {
    const p = parsePayload("impl_task", payload);
    return guardJob(deps, p.runId, "implementation", helpers, (signal) =>
      runImplTask(deps, p, signal),
    );
  };
