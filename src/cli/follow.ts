import type { App } from "../app.ts";
import { pendingCta } from "../db/ctas.ts";
import { eventsAfter, lastEventId, type RunEventRow } from "../db/events.ts";
import { FINISHED, type RunRow, requireRun } from "../db/runs.ts";
import { usageTotals } from "../db/usage.ts";
import { isPaulError } from "../errors.ts";
import { phaseTitle } from "../pipeline/phases.ts";
import type { Answerer } from "./ask.ts";
import { drawDoc, renderModelWaiting, renderTasksEvent } from "./render.ts";

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
  app: Pick<App, "deps" | "service">,
  runId: string,
  io: FollowIO,
  fromStart: boolean,
): Promise<FollowEnd> {
  const { pool, cfg } = app.deps;
  let last = "0";
  if (!fromStart) {
    last = await lastEventId(pool, runId);
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
        const left = await handleCta(ev.data.ctaId);
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
    const q = await app.service.question(ctaId);
    if (q?.cta.status !== "pending") return false;
    const { cta, about } = q;
    if (about) io.out(`\n── ${about.title} ──\n${cfg.redact(drawDoc(about.doc))}\n\n`);
    const decision = await io.answer(cta);
    if (decision === "leave") {
      io.out(
        `\nThe run is waiting for a decision: "${cta.prompt}"\nContinue with: paul resume ${runId}\n`,
      );
      return true;
    }
    try {
      const r = await app.service.answer(cta.id, decision, io.who);
      io.out(`  ✓ ${r.summary}\n`);
    } catch (e) {
      if (isPaulError(e) && (e.code === "cta_stale" || e.code === "bad_input"))
        io.out(`  ${e.message}\n`);
      else throw e;
    }
    return false;
  }

  async function describe(ev: RunEventRow): Promise<string> {
    switch (ev.kind) {
      case "tasks":
        return renderTasksEvent(ev.data);
      case "model_waiting":
        return `  … ${renderModelWaiting(ev.data)}\n`;
      case "run_created":
        return `Run ${runId}: "${ev.data.feature}" on ${ev.data.repo} (${ev.data.base})\n`;
      case "phase_started":
        return `\n▸ ${phaseTitle(ev.data.phase)}${ev.data.revision > 0 ? ` (revision ${ev.data.revision})` : ""}\n`;
      case "progress":
        return `  · ${ev.data.message}\n`;
      case "warning":
        return `  ! ${ev.data.message}\n`;
      case "retrying":
        return `  ↻ ${ev.data.phase} hit a temporary problem and will be retried: ${ev.data.message}\n`;
      case "run_finished": {
        const u = await usageTotals(pool, runId);
        return `\n■ Run ${ev.data.status}: ${ev.data.message}\n  cost $${u.costUsd.toFixed(4)}, ${u.tokens.toLocaleString("en-US")} tokens in ${u.calls} model calls\n`;
      }
      case "phase_output":
      case "cta_resolved":
      case "cta_created":
        return "";
    }
  }
}
