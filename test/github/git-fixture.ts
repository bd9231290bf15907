import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A bare repository standing for the GitHub remote, with a work clone to push branches from. */
export interface BareRemote {
  bare: string;
  /** Commit `files` on a new branch off main and push it; no files pushes main's commit unchanged. */
  pushBranch(branch: string, files?: Record<string, string>): Promise<void>;
  cleanup(): Promise<void>;
}

export async function createBareRemote(): Promise<BareRemote> {
  const dir = await mkdtemp(join(tmpdir(), "paul-gh-"));
  const bare = join(dir, "remote.git");
  const work = join(dir, "work");
  const git = (cwd: string, ...args: string[]) =>
    run("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", ...args], {
      cwd,
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: dir },
    });
  await git(dir, "init", "--bare", "--initial-branch=main", bare);
  await git(dir, "init", "--initial-branch=main", work);
  await writeFile(join(work, "README.md"), "# fixture\n");
  await git(work, "add", ".");
  await git(work, "commit", "-m", "initial");
  await git(work, "remote", "add", "origin", bare);
  await git(work, "push", "origin", "main");
  return {
    bare,
    async pushBranch(branch, files = {}) {
      await git(work, "checkout", "-q", "-B", branch, "main");
      for (const [name, content] of Object.entries(files)) {
        await writeFile(join(work, name), content);
      }
      if (Object.keys(files).length > 0) {
        await git(work, "add", ".");
        await git(work, "commit", "-m", `change on ${branch}`);
      }
      await git(work, "push", "-f", "origin", branch);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
