import type { Octokit } from "@octokit/rest";

/** A check run or a commit status, as Paul reads both. */
export interface CheckState {
  kind: "check" | "status";
  id: number;
  name: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  url: string;
  appSlug?: string;
  /** On GitHub an Actions job's id is its check run's id. */
  actionsJobId?: number;
  output?: { title?: string; summary?: string; text?: string };
}

const FAILED = new Set(["failure", "timed_out", "cancelled", "action_required", "startup_failure"]);

export function isFailed(c: CheckState): boolean {
  return c.status === "completed" && c.conclusion !== null && FAILED.has(c.conclusion);
}

const statusOf = (s: string): CheckState["status"] =>
  s === "queued" ? "queued" : s === "completed" ? "completed" : "in_progress";

/** Every check run of a commit (a sha, or a branch name for its head) and the latest status per context. */
export async function listChecks(
  gh: Octokit,
  owner: string,
  repo: string,
  ref: string,
): Promise<CheckState[]> {
  const runs = await gh.paginate("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
    owner,
    repo,
    ref,
    per_page: 100,
  });
  const checks: CheckState[] = runs.map((r) => {
    const slug = r.app?.slug;
    const out = r.output;
    return {
      kind: "check",
      id: r.id,
      name: r.name,
      status: statusOf(r.status),
      conclusion: r.conclusion ?? null,
      url: r.html_url ?? r.details_url ?? "",
      ...(slug ? { appSlug: slug } : {}),
      ...(slug === "github-actions" ? { actionsJobId: r.id } : {}),
      output: {
        ...(out.title ? { title: out.title } : {}),
        ...(out.summary ? { summary: out.summary } : {}),
        ...(out.text ? { text: out.text } : {}),
      },
    };
  });
  const { data } = await gh.request("GET /repos/{owner}/{repo}/commits/{ref}/status", {
    owner,
    repo,
    ref,
  });
  for (const s of data.statuses) {
    checks.push({
      kind: "status",
      id: s.id,
      name: s.context,
      status: s.state === "pending" ? "in_progress" : "completed",
      conclusion: s.state === "pending" ? null : s.state === "success" ? "success" : "failure",
      url: s.target_url ?? "",
      output: s.description ? { summary: s.description } : {},
    });
  }
  return checks;
}

/** The first and the last part of `s`, within `max` characters, saying how much was cut. */
export function trimHeadTail(s: string, max: number): string {
  if (s.length <= max) return s;
  const note = (n: number) => `\n… ${n} characters cut …\n`;
  const room = max - note(s.length).length;
  const head = Math.ceil(room / 2);
  const tail = room - head;
  return `${s.slice(0, head)}${note(s.length - room)}${s.slice(s.length - tail)}`;
}

/**
 * What a failed check printed: its output, its annotations and, for GitHub
 * Actions, the job's log (GitHub redirects to the log's text), trimmed head
 * and tail to `max` characters: the error is usually near the end, its cause
 * near the start.
 */
export async function failureReport(
  gh: Octokit,
  owner: string,
  repo: string,
  c: CheckState,
  max = 8000,
): Promise<string> {
  const parts = [`${c.name}: ${c.conclusion ?? c.status} (${c.url})`];
  const o = c.output;
  if (o?.title) parts.push(o.title);
  if (o?.summary) parts.push(o.summary);
  if (o?.text) parts.push(o.text);
  if (c.kind === "check") {
    const notes = await gh.paginate(
      "GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations",
      {
        owner,
        repo,
        check_run_id: c.id,
        per_page: 100,
      },
    );
    if (notes.length > 0) {
      parts.push(
        `Annotations:\n${notes.map((a) => `${a.path}:${a.start_line}: [${a.annotation_level}] ${a.message}`).join("\n")}`,
      );
    }
  }
  if (c.actionsJobId !== undefined) {
    const log = await gh.request("GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs", {
      owner,
      repo,
      job_id: c.actionsJobId,
    });
    const text = typeof log.data === "string" ? log.data : String(log.data);
    parts.push(`Job log:\n${text}`);
  }
  return trimHeadTail(parts.join("\n\n"), max);
}

/** Ask for a check to run again; a commit status cannot be, so false. */
export async function rerunCheck(
  gh: Octokit,
  owner: string,
  repo: string,
  c: CheckState,
): Promise<boolean> {
  if (c.kind === "status") return false;
  if (c.actionsJobId !== undefined) {
    await gh.request("POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun", {
      owner,
      repo,
      job_id: c.actionsJobId,
    });
    return true;
  }
  await gh.request("POST /repos/{owner}/{repo}/check-runs/{check_run_id}/rerequest", {
    owner,
    repo,
    check_run_id: c.id,
  });
  return true;
}
