import { requireRun } from "../../db/runs.ts";
import { invariant } from "../../errors.ts";
import type { PhaseContext } from "../context.ts";
import { IMPLEMENTATION_JOB } from "../implementation/schema.ts";
import { definePhase } from "../phase.ts";
import { renderRequest } from "./render.ts";
import { FollowupRequestSchema, REQUEST, type RequestOutput } from "./schema.ts";

/**
 * A follow-up's first phase: no model call, only what the request is and
 * how much work it is. Narrow work (a line comment, a failing check) becomes
 * one task; an open request goes to the planner. A request that must be
 * confirmed first (CI still red after its rounds) asks here.
 */
export const request = definePhase({
  ...REQUEST,
  title: "Follow-up",
  maxAttempts: 3,
  numbering: "outputs",
  asks: ["approval"],
  run: runRequest,
  render: renderRequest,
});

async function runRequest(ctx: PhaseContext<RequestOutput>): Promise<void> {
  const parsed = FollowupRequestSchema.safeParse(ctx.run.request);
  invariant(parsed.success, `run ${ctx.run.id} is a follow-up without a readable request`);
  const req = parsed.data;
  invariant(ctx.run.parent_run_id, `follow-up ${ctx.run.id} has no parent run`);
  const parent = await requireRun(ctx.deps.pool, ctx.run.parent_run_id);
  const branch = ctx.run.branch ?? parent.branch;
  invariant(branch, `follow-up ${ctx.run.id} has no branch to work on`);
  const narrow = req.check !== undefined || req.comments.some((c) => c.path !== undefined);
  const output: RequestOutput = {
    request: req,
    scope: narrow ? "narrow" : "open",
    parentRunId: parent.id,
    branch,
  };
  if (req.confirm) {
    await ctx.complete(output, {
      kind: "approval",
      prompt: req.confirm,
      options: [
        { action: "approve", label: "Try again" },
        { action: "cancel", label: "Stop" },
      ],
    });
    return;
  }
  await ctx.complete(output, {
    nextJob: IMPLEMENTATION_JOB,
    message: narrow
      ? "one narrowly scoped task, on the branch as it is now"
      : "planning the follow-up on the branch as it is now",
  });
}
