/**
 * One process of a busy repository: mirror it, make a run's base worktree and
 * two task worktrees, remove one and prune, as a worker's jobs do. Run by
 * git-support.ts as a separate process, so the locks are tested across processes.
 */
import { setHostEnv } from "../../src/workspace/host.ts";
import { ensureMirror, resolveBase, resolveRepoSpec } from "../../src/workspace/repo.ts";
import { createWorktree, removeWorktree } from "../../src/workspace/worktree.ts";

setHostEnv(process.env);
const [remote, work, id] = process.argv.slice(2) as [string, string, string];
const ref = resolveRepoSpec(remote, { githubWebUrl: "https://github.com", cwd: "/" });
const mirror = await ensureMirror(ref, work);
const base = await resolveBase(mirror);
const run = `${work}/runs/${id}`;
await createWorktree(mirror, `${run}/base`, `paul-base/${id}`, base.commit);
await createWorktree(mirror, `${run}/tasks/T1`, `paul/${id}/tasks/T1`, base.commit);
await createWorktree(mirror, `${run}/tasks/T2`, `paul/${id}/tasks/T2`, base.commit);
await removeWorktree(mirror, `${run}/tasks/T2`);
await ensureMirror(ref, work);
process.stdout.write(`${mirror}\n`);
