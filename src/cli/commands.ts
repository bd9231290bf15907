import type { RunService } from "../pipeline/service.ts";
import { drawDoc } from "./render.ts";

const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 19) : "-");

export async function runsText(service: RunService, limit: number): Promise<string> {
  const runs = await service.list(limit);
  if (runs.length === 0)
    return 'No runs yet. Start one with: paul build "<feature>" --repo <repo>\n';
  const rows = await Promise.all(
    runs.map(async ({ run: r, usage: u }) => {
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
  service: RunService,
  runId: string,
  redact: (s: string) => string,
): Promise<string> {
  const view = await service.show(runId);
  const { run, usage: u } = view;
  const out: string[] = [
    `Run ${run.id}: ${run.feature}`,
    `  repo ${run.repo_spec} (base ${run.base_branch}${run.base_commit ? ` @ ${run.base_commit.slice(0, 8)}` : ""})`,
    `  status ${run.status}, phase ${run.phase}, requested by ${run.requester} at ${when(run.created_at)}`,
    `  cost $${u.costUsd.toFixed(4)} of $${Number(run.budget_usd).toFixed(2)}, ${u.tokens.toLocaleString("en-US")} tokens, ${u.calls} model calls`,
    `  time worked ${(view.secondsWorked / 60).toFixed(1)} min (PAUL_BUDGET_MINUTES; waiting for decisions not counted)`,
  ];
  if (run.branch) out.push(`  branch ${run.branch}`);
  if (run.pr_url) out.push(`  pull request ${run.pr_url}`);
  if (run.error) out.push(`  ${run.error}`);
  for (const p of view.phases) {
    out.push("", `── ${p.title} (revision ${p.revision}) ──`, drawDoc(p.doc));
  }
  const ctas = view.questions;
  if (ctas.length > 0) {
    out.push("", "── Decisions ──");
    for (const c of ctas) {
      const d = c.status === "resolved" ? `${c.decision?.action} by ${c.decided_by}` : c.status;
      out.push(`  [${c.phase}] ${c.prompt} → ${d}`);
    }
  }
  const { tasks, attempts, gates } = view;
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
  if (run.parent_run_id)
    out.push("", `A follow-up of run ${run.parent_run_id} (paul show ${run.parent_run_id}).`);
  if (view.followups.length > 0) {
    out.push("", "── Follow-ups ──");
    for (const f of view.followups) {
      const pushed = f.pushed ? `pushed ${f.pushed.slice(0, 7)}` : f.run.status;
      out.push(`  ${f.run.id} ${f.what} — ${pushed}, $${f.usage.costUsd.toFixed(2)}`);
    }
  }
  const quiet = view.sources.filter((s) => s.outcome !== "started" && !s.key.startsWith("reply:"));
  if (quiet.length > 0) {
    out.push("", "── Seen and not acted on ──");
    for (const s of quiet) out.push(`  ${s.key}: ${s.outcome}${s.detail ? ` (${s.detail})` : ""}`);
  }
  return `${redact(out.join("\n"))}\n`;
}
