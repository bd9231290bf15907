import { PaulError } from "../errors.ts";
import { GIT_NETWORK_TIMEOUT_MS, type GitAuth, git, gitOut, gitReason, redactUrl } from "./git.ts";
import { sanitizeRepoConfig } from "./guard.ts";
import { withMirrorLock } from "./lock.ts";
import { remoteFailure } from "./repo.ts";

/**
 * Paul only ever writes to its own branches (refs/heads/paul/…) and its own
 * private namespace (refs/paul/…, for carrying work between machines). The
 * check happens here, next to the push, so no caller can get it wrong.
 */
export const PUSHABLE_PREFIXES = ["refs/heads/paul/", "refs/paul/"] as const;

export interface PushOptions {
  remoteUrl: string;
  baseBranch: string;
  auth?: GitAuth;
  /** Replace the remote ref even when it is not an ancestor (a task branch rebuilt by a retry). */
  force?: boolean;
}

function refused(message: string, hint: string): PaulError {
  return new PaulError("push_refused", message, { hint });
}

function fullRef(ref: string): string {
  const r = ref.trim();
  return r.startsWith("refs/") ? r : `refs/heads/${r}`;
}

/** A branch name as people spell it, reduced to one form for comparison. */
function branchKey(name: string): string {
  return name
    .trim()
    .replace(/\/{2,}/g, "/")
    .replace(/^\/+|\/+$/g, "")
    .replace(/^(refs\/)?(heads\/|remotes\/origin\/)/i, "")
    .replace(/^origin\//i, "")
    .toLowerCase();
}

async function validRefName(ref: string, cwd: string): Promise<boolean> {
  return (await git(["check-ref-format", ref], cwd, { allowFail: true })).ok;
}

async function checkPushable(remoteRef: string, baseBranch: string, cwd: string): Promise<string> {
  const ref = fullRef(remoteRef);
  const why = "Paul pushes only to branches under paul/ (refs/heads/paul/…) and to refs/paul/….";
  if (!(await validRefName(ref, cwd)))
    throw refused(`Refusing to push to '${remoteRef}': not a valid ref name`, why);
  if (!PUSHABLE_PREFIXES.some((p) => ref.startsWith(p)))
    throw refused(`Refusing to push to '${remoteRef}': outside Paul's branches`, why);
  if (ref.startsWith("refs/heads/") && branchKey(ref) === branchKey(baseBranch))
    throw refused(
      `Refusing to push to '${remoteRef}': it is the base branch '${baseBranch}'`,
      "Paul never writes to the branch a run is based on; choose a base branch outside paul/.",
    );
  return ref;
}

/** Push `localRef` (any name git can resolve in `repoDir`) to `remoteRef`; returns the pushed commit. */
export async function pushRef(
  repoDir: string,
  localRef: string,
  remoteRef: string,
  opts: PushOptions,
): Promise<{ commit: string; remoteRef: string }> {
  const ref = await checkPushable(remoteRef, opts.baseBranch, repoDir);
  if (/^\+|:/.test(localRef))
    throw refused(`Refusing to push '${localRef}': not a plain ref`, "Pass a ref or commit id.");
  const resolved = await git(
    ["rev-parse", "--verify", "--quiet", `${localRef}^{commit}`],
    repoDir,
    {
      allowFail: true,
    },
  );
  const commit = resolved.stdout.trim();
  if (!resolved.ok || !commit)
    throw new PaulError("internal", `Nothing to push: '${localRef}' is not a commit in ${repoDir}`);
  await sanitizeRepoConfig(repoDir);
  const refspec = `${opts.force ? "+" : ""}${commit}:${ref}`;
  const r = await git(["push", "--porcelain", "--no-verify", opts.remoteUrl, refspec], repoDir, {
    auth: opts.auth,
    allowFail: true,
    timeoutMs: GIT_NETWORK_TIMEOUT_MS,
    retry: "network",
  });
  if (r.ok) return { commit, remoteRef: ref };
  const where = redactUrl(opts.remoteUrl);
  const rejected = /^!\t.*$/m.exec(r.stdout)?.[0];
  if (rejected) {
    const reason = rejected.split("\t").slice(2).join(" ") || gitReason(r);
    throw refused(
      `The remote ${where} refused the push to ${ref}: ${reason}`,
      /non-fast-forward|fetch first/.test(reason)
        ? "The branch changed on the remote since Paul last pushed it; resume the run to rebuild it."
        : "Check branch protection rules and that the token may write to the repository.",
    );
  }
  const e = remoteFailure({ spec: opts.remoteUrl }, "push to", r, repoDir);
  if (e.code !== "repo_unreachable") throw e;
  throw new PaulError("repo_unreachable", `Could not push to ${where}: ${gitReason(r)}`, {
    hint: "Check that this machine can reach the repository and that GITHUB_TOKEN (or your SSH key) may write to it.",
  });
}

/**
 * Bring a ref Paul pushed earlier (possibly from another machine) into the
 * mirror. Returns its commit, or null when the remote does not have it.
 */
export async function fetchRef(
  mirror: string,
  remoteUrl: string,
  remoteRef: string,
  localRef: string,
  auth?: GitAuth,
): Promise<string | null> {
  const local = fullRef(localRef);
  if (!PUSHABLE_PREFIXES.some((p) => local.startsWith(p)) || !(await validRefName(local, mirror)))
    throw new PaulError("internal", `fetchRef may only write Paul's refs, not '${localRef}'`);
  await sanitizeRepoConfig(mirror);
  // Writes the mirror's refs and objects: under its lock, like every other change to it.
  const r = await withMirrorLock(mirror, () =>
    git(["fetch", "--quiet", "--no-tags", remoteUrl, `+${fullRef(remoteRef)}:${local}`], mirror, {
      auth,
      allowFail: true,
      timeoutMs: GIT_NETWORK_TIMEOUT_MS,
      retry: "network",
    }),
  );
  if (!r.ok) {
    if (/couldn't find remote ref/i.test(r.stderr)) return null;
    throw remoteFailure({ spec: remoteUrl }, `fetch ${remoteRef} from`, r, mirror);
  }
  return gitOut(["rev-parse", "--verify", `${local}^{commit}`], mirror);
}

export function slugify(text: string, max = 40): string {
  const slug = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (slug.length <= max) return slug;
  const cut = slug.slice(0, max);
  if (slug[max] === "-") return cut;
  // Prefer ending on a whole word when one ends reasonably late.
  const lastDash = cut.lastIndexOf("-");
  return (lastDash >= max / 2 ? cut.slice(0, lastDash) : cut).replace(/-+$/, "");
}

/** `paul/<runId>-<slug of the feature>`: unique per run, readable in a PR list. */
export function paulBranchName(runId: string, feature: string): string {
  const id = runId.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "") || "run";
  const slug = slugify(feature);
  return slug ? `paul/${id}-${slug}` : `paul/${id}`;
}
