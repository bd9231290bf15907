import { getCta, pendingCta } from "../db/ctas.ts";
import { eventsAfter, type RunEventRow } from "../db/events.ts";
import { getPhaseResult } from "../db/phases.ts";
import { FINISHED, type RunRow, requireRun } from "../db/runs.ts";
import { usageTotals } from "../db/usage.ts";
import { isPaulError } from "../errors.ts";
import { resolveCta } from "../pipeline/cta.ts";
import type { Deps } from "../pipeline/deps.ts";
import { isPhase, PHASE_TITLES } from "../pipeline/phases.ts";
import type { Answerer } from "./ask.ts";
import { renderModelWaiting, renderPhaseOutput, renderTasksEvent } from "./render.ts";

export interface FollowIO {
  out: (s: string) => void;
  answer: Answerer;
  who: string;
}

export type FollowEnd = { run: RunRow; left: boolean };

/**
 * Show a run's events as they happen and answer its questions, until it
 * finishes or a question is left for later. The worker may be in this process
 * or on another machine: everything comes from the database.
 */
export async function follow(
  deps: Deps,
  runId: string,
  io: FollowIO,
  fromStart: boolean,
): Promise<FollowEnd> {
  const { pool, cfg } = deps;
  let last = "0";
  if (!fromStart) {
    const r = await pool.query<{ id: string }>(
      "select coalesce(max(id), 0)::text as id from run_events where run_id = $1",
      [runId],
    );
    last = r.rows[0]?.id ?? "0";
    const open = await pendingCta(pool, runId);
    if (open) {
      const left = await handleCta(open.id);
      if (left) return { run: await requireRun(pool, runId), left: true };
    }
  }
  for (;;) {
    const events = await eventsAfter(pool, runId, last);
    for (const ev of events) {
      last = ev.id;
      if (ev.kind === "cta_created") {
        const left = await handleCta((ev as RunEventRow<"cta_created">).data.ctaId);
        if (left) return { run: await requireRun(pool, runId), left: true };
        continue;
      }
      io.out(cfg.redact(await describe(ev)));
      if (ev.kind === "run_finished") return { run: await requireRun(pool, runId), left: false };
    }
    const run = await requireRun(pool, runId);
    if (FINISHED.includes(run.status) && events.length === 0) return { run, left: false };
    await new Promise((r) => setTimeout(r, 250));
  }

  async function handleCta(ctaId: string): Promise<boolean> {
    const cta = await getCta(pool, ctaId);
    if (cta?.status !== "pending") return false;
    const showPhase = cta.kind === "choice" ? "approaches" : cta.phase;
    const result = await getPhaseResult(pool, runId, showPhase);
    if (result) {
      io.out(
        `\n── ${isPhase(showPhase) ? PHASE_TITLES[showPhase] : showPhase} ──\n${cfg.redact(renderPhaseOutput(showPhase, result.output))}\n\n`,
      );
    }
    const decision = await io.answer(cta);
    if (decision === "leave") {
      io.out(
        `\nThe run is waiting for a decision: "${cta.prompt}"\nContinue with: paul resume ${runId}\n`,
      );
      return true;
    }
    try {
      const r = await resolveCta(pool, cta.id, decision, io.who);
      io.out(`  ✓ ${r.summary}\n`);
    } catch (e) {
      if (isPaulError(e) && (e.code === "cta_stale" || e.code === "bad_input"))
        io.out(`  ${e.message}\n`);
      else throw e;
    }
    return false;
  }

  async function describe(ev: RunEventRow): Promise<string> {
    if (ev.kind === "tasks") return renderTasksEvent((ev as RunEventRow<"tasks">).data);
    if (ev.kind === "model_waiting")
      return `  … ${renderModelWaiting((ev as RunEventRow<"model_waiting">).data)}\n`;
    const d = ev.data as unknown as Record<string, string | number>;
    switch (ev.kind) {
      case "run_created":
        return `Run ${runId}: "${d.feature}" on ${d.repo} (${d.base})\n`;
      case "phase_started":
        return `\n▸ ${isPhase(String(d.phase)) ? PHASE_TITLES[d.phase as keyof typeof PHASE_TITLES] : d.phase}${Number(d.revision) > 0 ? ` (revision ${d.revision})` : ""}\n`;
      case "progress":
        return `  · ${d.message}\n`;
      case "warning":
        return `  ! ${d.message}\n`;
      case "retrying":
        return `  ↻ ${d.phase} hit a temporary problem and will be retried: ${d.message}\n`;
      case "phase_output":
        return "";
      case "cta_resolved":
        return "";
      case "run_finished": {
        const u = await usageTotals(pool, runId);
        return `\n■ Run ${d.status}: ${d.message}\n  cost $${u.costUsd.toFixed(4)}, ${u.tokens.toLocaleString("en-US")} tokens in ${u.calls} model calls\n`;
      }
      default:
        return "";
    }
  }
}
