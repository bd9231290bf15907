import { z } from "zod";
import { attemptStatuses } from "../db/attempts.ts";
import type { RunEventMap } from "../db/events.ts";
import { getPhaseResult } from "../db/phases.ts";
import type { Queryable } from "../db/pool.ts";
import type { RunRow } from "../db/runs.ts";
import { usageTotals } from "../db/usage.ts";
import { countsAsAttempt } from "../pipeline/implementation/next-step.ts";
import {
  type ImplementationResult,
  ImplementationResultSchema,
} from "../pipeline/implementation/schema.ts";
import { type Block, fields, paginate, type SlackMessage, sections } from "./blocks.ts";
import { duration, esc, mentionIds, usd } from "./text.ts";

export interface RunSummary {
  costUsd: number;
  tokens: number;
  attempts: number;
  gates: ImplementationResult["gateResults"];
  durationMs: number;
}

/** The part of the implementation's output the final message shows; a run that never got there has none. */
const GatesOnly = z.object({ gateResults: ImplementationResultSchema.shape.gateResults });

export async function runSummary(db: Queryable, run: RunRow): Promise<RunSummary> {
  const usage = await usageTotals(db, run.id);
  const impl = GatesOnly.safeParse((await getPhaseResult(db, run.id, "implementation"))?.output);
  const end = run.finished_at ?? new Date();
  return {
    costUsd: usage.costUsd,
    tokens: usage.tokens,
    attempts: (await attemptStatuses(db, run.id)).filter(countsAsAttempt).length,
    gates: impl.success ? impl.data.gateResults : [],
    durationMs: end.getTime() - run.created_at.getTime(),
  };
}

/** The last message of a run's thread: the PR, the gates, attempts, cost and how long it took. */
export function finalMessage(
  run: Pick<RunRow, "id" | "pr_url" | "pr_number" | "branch">,
  finished: RunEventMap["run_finished"],
  s: RunSummary,
  redact: (t: string) => string,
): SlackMessage {
  const icon =
    finished.status === "done"
      ? ":tada:"
      : finished.status === "failed"
        ? ":x:"
        : ":no_entry_sign:";
  const title =
    finished.status === "done" ? "Done" : finished.status === "failed" ? "Run failed" : "Cancelled";
  const lead = run.pr_url
    ? `${icon} *${title}*: <${run.pr_url}|pull request #${run.pr_number ?? ""}> is open.`
    : `${icon} *${title}*: ${mentionIds(esc(finished.message))}`;
  const gates = s.gates.length
    ? s.gates
        .map((g) => `${g.status === "passed" ? ":white_check_mark:" : ":x:"} ${g.gate}`)
        .join("  ")
    : "_none ran_";
  const blocks: Block[] = [
    ...sections(redact(lead)),
    fields([
      `*Gates*\n${gates}`,
      `*Coder attempts*\n${s.attempts}`,
      `*Cost*\n${usd(s.costUsd)} (${s.tokens.toLocaleString("en-US")} tokens)`,
      `*Duration*\n${duration(s.durationMs)}`,
      ...(run.branch ? [`*Branch*\n\`${esc(run.branch)}\``] : []),
    ]),
  ];
  if (finished.status === "failed") {
    blocks.push(
      ...sections(
        `A terminal can continue it: \`paul resume ${run.id}\` (see \`paul show ${run.id}\`).`,
      ),
    );
  }
  return paginate(blocks, redact(`${title}: ${finished.message}`))[0];
}
