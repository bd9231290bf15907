import { execFile } from "node:child_process";
import { promisify } from "node:util";

/**
 * The fake GitHub's branch endpoints, read from the bare remote so a branch
 * exists exactly when git has it:
 *   GET /repos/{owner}/{repo}/branches           one page, sorted by name as GitHub lists them
 *   GET /repos/{owner}/{repo}/branches/{branch}  the branch, or 404 Branch not found
 */

export interface FakeBranch {
  name: string;
  commit: { sha: string; url: string };
  protected: boolean;
}

type Reply = { status: number; data: unknown };

const run = promisify(execFile);
const DOCS = "https://docs.github.com/rest/branches/branches";
const notFound = (message: string): Reply => ({
  status: 404,
  data: { message, documentation_url: DOCS },
});
// A branch name may hold slashes, sent raw or as %2F.
const ROUTE = /^\/repos\/([^/]+)\/([^/]+)\/branches(?:\/(.+?))?\/?$/;

async function branchesOf(bare: string, repoUrl: string): Promise<FakeBranch[]> {
  const format = "--format=%(objectname) %(refname:strip=2)";
  const args = ["--git-dir", bare, "for-each-ref", "--sort=refname", format, "refs/heads"];
  const { stdout } = await run("git", args);
  return stdout.split("\n").flatMap((line) => {
    const [sha, name] = line.split(" ", 2);
    if (!sha || !name) return [];
    return [{ name, commit: { sha, url: `${repoUrl}/commits/${sha}` }, protected: false }];
  });
}

/**
 * The answer to a branch request, or undefined when `method url` is not one,
 * for the caller to route elsewhere. Called after the caller's auth checks.
 */
export async function branchEndpoint(
  method: string | undefined,
  url: URL,
  host: string,
  findRepo: (owner: string, name: string) => { key: string; bare: string } | undefined,
): Promise<Reply | undefined> {
  const m = ROUTE.exec(url.pathname);
  if (!m || method !== "GET") return undefined;
  const repo = findRepo(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
  if (!repo) return notFound("Not Found");
  const all = await branchesOf(repo.bare, `http://${host}/repos/${repo.key}`);
  if (m[3] !== undefined) {
    const name = decodeURIComponent(m[3]);
    const branch = all.find((b) => b.name === name);
    return branch ? { status: 200, data: branch } : notFound("Branch not found");
  }
  const perPage = Math.min(100, Number(url.searchParams.get("per_page")) || 30);
  const page = Math.max(1, Number(url.searchParams.get("page")) || 1);
  return { status: 200, data: all.slice((page - 1) * perPage, page * perPage) };
}
