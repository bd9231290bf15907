import { guardJob } from "../job.ts";
import { defineJob } from "../jobs.ts";
import { runImplFinish } from "./finish.ts";
import { IMPL_FINISH, IMPL_TASK } from "./job-specs.ts";
import { runImplTask } from "./task-job.ts";

/** The jobs that carry the implementation after its phase job: one per task, then the finish. */
export const IMPLEMENTATION_JOBS = [
  defineJob({
    ...IMPL_TASK,
    run: (deps, p, helpers) =>
      guardJob(deps, p.runId, "implementation", helpers, (signal) => runImplTask(deps, p, signal)),
  }),
  defineJob({
    ...IMPL_FINISH,
    run: (deps, p, helpers) =>
      guardJob(deps, p.runId, "implementation", helpers, (signal) =>
        runImplFinish(deps, p, signal),
      ),
  }),
];
