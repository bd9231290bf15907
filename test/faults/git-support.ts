import { spawn } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { JobHelpers } from "graphile-worker";
import { loadConfig } from "../../src/config.ts";
import type { Pool } from "../../src/db/pool.ts";
import { insertRun, newRunId, type RunRow } from "../../src/db/runs.ts";
import type { Deps } from "../../src/pipeline/deps.ts";
import { hostEnv, setHostEnv } from "../../src/workspace/host.ts";
import { tempDir } from "../support/git-fixtures.ts";

const CHILD = new URL("./git-child.ts", import.meta.url).pathname;

export interface ChildResult {
  code: number | null;
  out: string;
}

/** `n` processes preparing worktrees of one repository at once (git-child.ts). */
export function busyRepository(remote: string, work: string, n: number): Promise<ChildResult[]> {
  const one = (i: number) =>
    new Promise<ChildResult>((resolve) => {
      const p = spawn(process.execPath, [CHILD, remote, work, `r-busy${i}`], { env: process.env });
      let out = "";
      p.stdout.on("data", (d) => {
        out += d;
      });
      p.stderr.on("data", (d) => {
        out += d;
      });
      p.on("close", (code) => resolve({ code, out }));
    });
  return Promise.all(Array.from({ length: n }, (_, i) => one(i)));
}

/**
 * A `git` first on the PATH that fails `subcommand` the way git does when the
 * machine or the network misbehaves (a full disk, a refused directory, a DNS
 * blip), `times` times (forever when omitted), and runs the real git otherwise.
 * Returns a function that puts the PATH back.
 */
export async function misbehavingGit(
  subcommand: string,
  stderr: string,
  times?: number,
): Promise<() => void> {
  const dir = await tempDir("paul-fake-git-");
  const count = join(dir, "count");
  const real = await realGit();
  const limit =
    times === undefined
      ? ""
      : `[ "$(wc -c < ${count} 2>/dev/null || echo 0)" -ge ${times} ] && exec ${real} "$@"`;
  const script = `#!/bin/bash
hit=0
for a in "$@"; do [ "$a" = ${JSON.stringify(subcommand)} ] && hit=1 && break; done
[ $hit = 1 ] || exec ${real} "$@"
${limit}
printf x >> ${count}
printf '%s\\n' ${JSON.stringify(stderr)} >&2
exit 128
`;
  await writeFile(join(dir, "git"), script);
  await chmod(join(dir, "git"), 0o755);
  const before = hostEnv();
  setHostEnv({ ...before, PATH: `${dir}:${before.PATH ?? ""}` });
  return () => setHostEnv(before);
}

async function realGit(): Promise<string> {
  const { execFileSync } = await import("node:child_process");
  return execFileSync("bash", ["-c", "command -v git"], { encoding: "utf8" }).trim();
}

/** Deps for driving the job boundary without a model or GitHub. */
export function jobDeps(pool: Pool, dbUrl: string, home: string): Deps {
  const cfg = loadConfig({ PAUL_HOME: home, DATABASE_URL: dbUrl }, "read");
  return {
    cfg,
    pool,
    model: () => {
      throw new Error("no model in these tests");
    },
    github: () => {
      throw new Error("no GitHub in these tests");
    },
  };
}

/** A run of `remote` at `commit` (null: not pinned yet, as a run from Slack starts), waiting on analysis. */
export async function seedRun(pool: Pool, remote: string, commit: string | null): Promise<RunRow> {
  const id = newRunId();
  return insertRun(pool, {
    id,
    feature: "Add a helper",
    repoSpec: remote,
    repoUrl: remote,
    repoKey: remote.startsWith("/") ? `path:${remote}` : `url:${remote}`,
    baseBranch: "main",
    baseCommit: commit ?? undefined,
    origin: "cli",
    requester: "tester",
    budgetUsd: 1,
    budgetTokens: 1000,
    gates: commit ? { source: "none", gates: [] } : undefined,
  });
}

/** The job helpers graphile-worker passes: attempt `n` of `max`. */
export function attempt(n: number, max = 5): Pick<JobHelpers, "job" | "abortSignal"> {
  return {
    job: { attempts: n, max_attempts: max } as JobHelpers["job"],
    abortSignal: new AbortController().signal,
  };
}
