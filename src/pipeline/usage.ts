import type { UsageRecord, UsageSink } from "../agents/index.ts";
import { activeSeconds } from "../db/job-time.ts";
import type { Queryable } from "../db/pool.ts";
import { getRun, type RunRow } from "../db/runs.ts";
import { insertUsage, usageTotals } from "../db/usage.ts";
import { PaulError } from "../errors.ts";

/**
 * The per-run ledger and budget check every agent call goes through. The run
 * is read afresh before each call: a budget raised (or a run cancelled) while
 * a long job is running takes effect at its next model call.
 */
export function usageSink(
  db: Queryable,
  run: RunRow,
  phase: string,
  budgetMinutes?: number,
): UsageSink {
  return {
    async beforeCall() {
      const now = (await getRun(db, run.id)) ?? run;
      if (now.status === "cancelled") {
        throw new PaulError("cancelled", `Run ${run.id} was cancelled; stopping its agents.`);
      }
      const t = await usageTotals(db, run.id);
      const usd = Number(now.budget_usd);
      const tokens = Number(now.budget_tokens);
      if (t.costUsd >= usd || t.tokens >= tokens) {
        throw new PaulError(
          "budget_exhausted",
          `Budget reached for run ${run.id}: $${t.costUsd.toFixed(2)} of $${usd.toFixed(2)}, ${t.tokens.toLocaleString("en-US")} of ${tokens.toLocaleString("en-US")} tokens.`,
          { hint: `raise it and continue with \`paul resume ${run.id} --budget-usd <n>\`` },
        );
      }
      if (budgetMinutes !== undefined) {
        const minutes = (await activeSeconds(db, run.id)) / 60;
        if (minutes >= budgetMinutes) {
          throw new PaulError(
            "budget_exhausted",
            `Time budget reached for run ${run.id}: its jobs have worked ${minutes.toFixed(1)} of ${budgetMinutes} minutes (PAUL_BUDGET_MINUTES; time waiting for a decision does not count).`,
            {
              hint: `raise PAUL_BUDGET_MINUTES and continue with \`paul resume ${run.id}\` (for example \`PAUL_BUDGET_MINUTES=${Math.ceil(budgetMinutes * 2)} paul resume ${run.id}\`)`,
            },
          );
        }
      }
    },
    async record(u: UsageRecord) {
      await insertUsage(db, { runId: run.id, phase, ...u });
    },
  };
}
