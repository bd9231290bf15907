import type { Reply } from "./fake-github-feedback.ts";

/**
 * The fake GitHub's CI. A test gives a function that says which checks a
 * commit gets (it may read the commit's files from the bare remote); they
 * are computed on the first read of that commit and kept, as GitHub keeps a
 * commit's check runs. A re-run computes the check again with `run` + 1,
 * which is how a test models a flaky check.
 *   GET  /repos/{o}/{r}/commits/{ref}/check-runs   (ref: a sha or a branch)
 *   GET  /repos/{o}/{r}/commits/{ref}/status, …/statuses
 *   GET  /repos/{o}/{r}/check-runs/{id}/annotations
 *   POST /repos/{o}/{r}/check-runs/{id}/rerequest, /actions/jobs/{id}/rerun
 *   GET  /repos/{o}/{r}/actions/jobs/{id}/logs      302 to the log's plain text (no auth, like GitHub's signed URLs)
 */

export interface FakeCheck {
  name: string;
  conclusion: "success" | "failure" | "neutral" | "cancelled" | "timed_out";
  /** "github-actions" makes it an Actions job (with a log). */
  app?: string;
  /** A commit status instead of a check run. */
  kind?: "check" | "status";
  output?: { title?: string; summary?: string; text?: string };
  annotations?: {
    path: string;
    start_line: number;
    end_line: number;
    annotation_level: string;
    message: string;
  }[];
  log?: string;
  /** Answers in_progress (pending for a status) this many reads first. */
  pendingReads?: number;
}

export type CiScript = (c: {
  repoKey: string;
  sha: string;
  bare: string;
  run: number;
}) => Promise<FakeCheck[]> | FakeCheck[];

interface Stored extends FakeCheck {
  id: number;
  sha: string;
  repoKey: string;
  run: number;
  reads: number;
}

export function checksState(o: {
  host: () => string;
  nextId: () => number;
  ci: CiScript | undefined;
  resolve: (repoKey: string, ref: string) => Promise<string | undefined>;
  bareOf: (repoKey: string) => string;
}) {
  const bySha = new Map<string, Stored[]>();
  const reruns: { name: string; sha: string }[] = [];
  const all = () => [...bySha.values()].flat();

  async function of(repoKey: string, ref: string): Promise<Stored[] | undefined> {
    const sha = await o.resolve(repoKey, ref);
    if (!sha) return undefined;
    const key = `${repoKey.toLowerCase()}@${sha}`;
    let list = bySha.get(key);
    if (!list) {
      const specs = o.ci ? await o.ci({ repoKey, sha, bare: o.bareOf(repoKey), run: 1 }) : [];
      list = specs.map((s) => ({ ...s, id: o.nextId(), sha, repoKey, run: 1, reads: 0 }));
      bySha.set(key, list);
    }
    return list;
  }

  const pending = (c: Stored) => (c.pendingReads ?? 0) >= c.reads;
  const checkRun = (c: Stored) => {
    const done = !pending(c);
    return {
      id: c.id,
      name: c.name,
      head_sha: c.sha,
      status: done ? "completed" : "in_progress",
      conclusion: done ? c.conclusion : null,
      html_url: `http://${o.host()}/${c.repoKey}/runs/${c.id}`,
      details_url: `http://${o.host()}/${c.repoKey}/runs/${c.id}`,
      app: { slug: c.app ?? "fake-ci" },
      output: {
        title: c.output?.title ?? null,
        summary: c.output?.summary ?? null,
        text: c.output?.text ?? null,
        annotations_count: c.annotations?.length ?? 0,
      },
    };
  };
  const status = (c: Stored) => ({
    id: c.id,
    context: c.name,
    state: pending(c) ? "pending" : c.conclusion === "success" ? "success" : "failure",
    description: c.output?.summary ?? null,
    target_url: `http://${o.host()}/${c.repoKey}/status/${c.id}`,
  });

  async function rerun(c: Stored): Promise<void> {
    const run = c.run + 1;
    const specs = o.ci
      ? await o.ci({ repoKey: c.repoKey, sha: c.sha, bare: o.bareOf(c.repoKey), run })
      : [];
    const again = specs.find((s) => s.name === c.name);
    reruns.push({ name: c.name, sha: c.sha });
    Object.assign(c, again ?? {}, { run, reads: 0 });
  }

  async function handle(method: string, path: string, repoKey: string): Promise<Reply | undefined> {
    let m = /^\/commits\/(.+)\/(check-runs|status|statuses)$/.exec(path);
    if (m && method === "GET") {
      const list = await of(repoKey, decodeURIComponent(m[1] ?? ""));
      if (!list) return { status: 422, data: { message: `No commit found for SHA: ${m[1]}` } };
      const shown = list.filter((c) =>
        m?.[2] === "check-runs" ? (c.kind ?? "check") === "check" : c.kind === "status",
      );
      for (const c of shown) c.reads++;
      if (m[2] === "check-runs")
        return {
          status: 200,
          data: { total_count: shown.length, check_runs: shown.map(checkRun) },
        };
      if (m[2] === "statuses") return { status: 200, data: shown.map(status) };
      const states = shown.map(status).map((s) => s.state);
      const state = states.includes("failure")
        ? "failure"
        : states.includes("pending")
          ? "pending"
          : "success";
      return {
        status: 200,
        data: { state, sha: list[0]?.sha, total_count: shown.length, statuses: shown.map(status) },
      };
    }
    m = /^\/check-runs\/(\d+)\/(annotations|rerequest)$/.exec(path);
    const byId = (id: string | undefined) => all().find((c) => c.id === Number(id));
    if (m) {
      const c = byId(m[1]);
      if (!c) return { status: 404, data: { message: "Not Found" } };
      if (m[2] === "annotations" && method === "GET")
        return { status: 200, data: c.annotations ?? [] };
      if (m[2] === "rerequest" && method === "POST") {
        await rerun(c);
        return { status: 201, data: {} };
      }
    }
    m = /^\/actions\/jobs\/(\d+)\/(rerun|logs)$/.exec(path);
    if (m) {
      const c = byId(m[1]);
      if (!c || c.app !== "github-actions") return { status: 404, data: { message: "Not Found" } };
      if (m[2] === "rerun" && method === "POST") {
        await rerun(c);
        return { status: 201, data: {} };
      }
      if (m[2] === "logs" && method === "GET") {
        return { status: 302, data: "", headers: { location: `http://${o.host()}/_logs/${c.id}` } };
      }
    }
    return undefined;
  }

  /** The plain-text log behind a redirect; served without auth. */
  function log(path: string): Reply | undefined {
    const m = /^\/_logs\/(\d+)$/.exec(path);
    if (!m) return undefined;
    const c = all().find((x) => x.id === Number(m[1]));
    return c
      ? { status: 200, data: "", raw: c.log ?? "" }
      : { status: 404, data: "", raw: "Not Found" };
  }

  return { handle, log, reruns };
}
