import type { Task } from "graphile-worker";
import type { Deps } from "../src/pipeline/deps.ts";
import { runImplFinish } from "../src/pipeline/implementation/finish.ts";
import { guardJob } from "../src/pipeline/job.ts";
import { parsePayload } from "../src/queue/catalog.ts";

export default (deps: Deps): Task =>
  (payload, helpers) => {
    const p = parsePayload("impl_finish", payload);
    return guardJob(deps, p.runId, "implementation", helpers, (signal) =>
      runImplFinish(deps, p, signal),
    );
  };
