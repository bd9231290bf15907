import { listCtas } from "../db/ctas.ts";
import { activeSeconds } from "../db/job-time.ts";
import { listPhaseResults } from "../db/phases.ts";
import type { Pool } from "../db/pool.ts";
import { listRuns, requireRun } from "../db/runs.ts";
import { listAttempts, listGateResults, listTasks } from "../db/tasks.ts";
import { usageTotals } from "../db/usage.ts";
import { isPhase, PHASE_TITLES } from "../pipeline/phases.ts";
import { renderPhaseOutput } from "./render.ts";

const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 19) : "-");

export async function runsText(pool: Pool, limit: number): Promise<string> {
  const runs = await listRuns(pool, limit);
  if (runs.length === 0)
    return 'No runs yet. Start one with: paul build "<feature>" --repo <repo>\n';
  const rows = await Promise.all(
    runs.map(async (r) => {
      const u = await usageTotals(pool, r.id);
      return [
        r.id,
        r.status,
        r.phase,
        `$${u.costUsd.toFixed(2)}`,
        when(r.created_at),
        r.feature.slice(0, 50),
      ];
    }),
  );
  const header = ["RUN", "STATUS", "PHASE", "COST", "CREATED", "FEATURE"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/** Everything about one run: phases, questions, attempts, gates, cost. */
export async function showText(
  pool: Pool,
  runId: string,
  redact: (s: string) => string,
): Promise<string> {
  const run = await requireRun(pool, runId);
  const u = await usageTotals(pool, run.id);
  const out: string[] = [
    `Run ${run.id}: ${run.feature}`,
    `  repo ${run.repo_spec} (base ${run.base_branch}${run.base_commit ? ` @ ${run.base_commit.slice(0, 8)}` : ""})`,
    `  status ${run.status}, phase ${run.phase}, requested by ${run.requester} at ${when(run.created_at)}`,
    `  cost $${u.costUsd.toFixed(4)} of $${Number(run.budget_usd).toFixed(2)}, ${u.tokens.toLocaleString("en-US")} tokens, ${u.calls} model calls`,
    `  time worked ${((await activeSeconds(pool, run.id)) / 60).toFixed(1)} min (PAUL_BUDGET_MINUTES; waiting for decisions not counted)`,
  ];
  if (run.branch) out.push(`  branch ${run.branch}`);
  if (run.pr_url) out.push(`  pull request ${run.pr_url}`);
  if (run.error) out.push(`  ${run.error}`);
  for (const p of await listPhaseResults(pool, run.id)) {
    const title = isPhase(p.phase) ? PHASE_TITLES[p.phase] : p.phase;
    out.push("", `── ${title} (revision ${p.revision}) ──`, renderPhaseOutput(p.phase, p.output));
  }
  const ctas = await listCtas(pool, run.id);
  if (ctas.length > 0) {
    out.push("", "── Decisions ──");
    for (const c of ctas) {
      const d = c.status === "resolved" ? `${c.decision?.action} by ${c.decided_by}` : c.status;
      out.push(`  [${c.phase}] ${c.prompt} → ${d}`);
    }
  }
  const tasks = await listTasks(pool, run.id);
  const attempts = await listAttempts(pool, run.id);
  const gates = await listGateResults(pool, run.id);
  if (tasks.length > 0) {
    out.push("", "── Implementation ──");
    for (const t of tasks) {
      out.push(`  ${t.task_key} ${t.title} [${t.size}] ${t.status}`);
      for (const a of attempts.filter((x) => x.task_id === t.id)) {
        const g = gates
          .filter((x) => x.attempt_id === a.id)
          .map((x) => `${x.gate} ${x.status}`)
          .join(", ");
        out.push(
          `    attempt ${a.attempt_no} (${a.model}): ${a.status}${a.ended_reason ? ` — ${a.ended_reason}` : ""}${g ? ` | ${g}` : ""}`,
        );
      }
    }
  }
  return `${redact(out.join("\n"))}\n`;
}
