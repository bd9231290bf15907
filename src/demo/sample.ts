import { cp, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git } from "../workspace/git.ts";

/** A fresh git repository holding the demo's sample project, one commit on main. */
export async function createSampleRepo(sample: string): Promise<string> {
  const repo = await mkdtemp(join(tmpdir(), "paul-demo-repo-"));
  await cp(sample, repo, { recursive: true });
  await git(["init", "-q", "-b", "main"], repo);
  await git(["add", "-A"], repo);
  await git(["commit", "-q", "-m", "greetings: initial version"], repo);
  return repo;
}
