import type { UsageRecord } from "../agents/types.ts";
import type { Queryable } from "./pool.ts";

/** One model call as the agent loop reports it, and where in the run it happened. */
export type UsageInsert = UsageRecord & { runId: string | null; phase: string };

export async function insertUsage(db: Queryable, u: UsageInsert): Promise<void> {
  await db.query(
    `insert into llm_usage (run_id, phase, role, model, input_tokens, output_tokens, cache_read_tokens,
       cache_write_tokens, cost_usd, latency_ms) values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
    [
      u.runId,
      u.phase,
      u.role,
      u.model,
      u.inputTokens,
      u.outputTokens,
      u.cacheReadTokens,
      u.cacheWriteTokens,
      u.costUsd,
      u.latencyMs,
    ],
  );
}

export interface UsageTotals {
  costUsd: number;
  tokens: number;
  calls: number;
}

export async function usageTotals(db: Queryable, runId: string): Promise<UsageTotals> {
  const res = await db.query<{ cost: string | null; tokens: string | null; calls: string }>(
    `select sum(cost_usd) as cost,
            sum(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens) as tokens,
            count(*) as calls
       from llm_usage where run_id = $1`,
    [runId],
  );
  const r = res.rows[0];
  return {
    costUsd: Number(r?.cost ?? 0),
    tokens: Number(r?.tokens ?? 0),
    calls: Number(r?.calls ?? 0),
  };
}
