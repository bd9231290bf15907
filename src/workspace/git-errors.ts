import { PaulError } from "../errors.ts";

/**
 * What a failed git command says about where the trouble is: on this machine
 * (a lock, a damaged mirror, a full disk, permissions) or at the remote (not
 * there, no access, not answering). The two need different people to act.
 */
export type GitFailure =
  | "lock"
  | "corrupt"
  | "disk_full"
  | "permission"
  | "auth"
  | "not_found"
  | "network"
  | "other";

const PATTERNS: [GitFailure, RegExp][] = [
  ["disk_full", /No space left on device|ENOSPC|Disk quota exceeded|EDQUOT/i],
  [
    "auth",
    /Authentication failed|could not read (Username|Password)|terminal prompts disabled|Permission denied \(publickey|Host key verification failed|returned error: 40[13]\b|Invalid username or password/i,
  ],
  [
    "lock",
    /Unable to create '[^']+\.lock': File exists|cannot lock ref .*File exists|could not lock config file .*File exists|Another git process seems to be running/i,
  ],
  [
    "not_found",
    /does not appear to be a git repository|Repository not found|repository '[^']*' not found|returned error: 404\b|No such device or address/i,
  ],
  [
    "network",
    /early EOF|RPC failed|Could not resolve host|Connection reset|Connection refused|Connection timed out|Operation timed out|timed out after|Failed to connect|Couldn't connect|remote end hung up unexpectedly|Empty reply from server|transfer closed|gnutls|SSL_read|SSL_ERROR|returned error: 5\d\d\b|kex_exchange_identification|Network is unreachable|Temporary failure in name resolution/i,
  ],
  [
    "corrupt",
    /bad object|did not send all necessary objects|object file .* is empty|loose object .* is corrupt|packfile .* (cannot be accessed|is corrupt)|invalid sha1 pointer|index file corrupt|bad signature 0x|unable to read tree|missing (blob|tree|commit) [0-9a-f]{7,}|fatal: not a git repository/i,
  ],
  [
    "permission",
    /Permission denied|insufficient permission|Read-only file system|Operation not permitted|EACCES|EROFS/i,
  ],
];

export function classifyGit(text: string, timedOut = false): GitFailure {
  for (const [kind, re] of PATTERNS) if (re.test(text)) return kind;
  return timedOut ? "network" : "other";
}

/** The lock file git names in a contention message, if any. */
export function lockFileOf(text: string): string | undefined {
  return /Unable to create '([^']+\.lock)'/.exec(text)?.[1];
}

/** A local problem's error: the directory it is in, and what a person does about it. */
export function localGitError(
  kind: GitFailure,
  what: string,
  dir: string,
  reason: string,
): PaulError | undefined {
  switch (kind) {
    case "disk_full":
      return new PaulError("disk_full", `${what}: the disk holding ${dir} is full (${reason})`, {
        hint: `Free some space there (df -h ${dir}); Paul removes finished runs' worktrees itself, and mirrors under $PAUL_HOME/work/mirrors may be deleted (they are cloned again when needed). Then resume the run.`,
      });
    case "permission":
      return new PaulError(
        "workspace_denied",
        `${what}: Paul may not write in ${dir} (${reason})`,
        {
          hint: `Give the user Paul runs as write access to ${dir} (or point PAUL_HOME somewhere it owns), then resume the run.`,
        },
      );
    case "corrupt":
      return new PaulError(
        "mirror_damaged",
        `${what}: the git data in ${dir} is damaged (${reason})`,
        {
          hint: `Delete the damaged mirror (the directory under $PAUL_HOME/work/mirrors that \`git -C ${dir} rev-parse --git-common-dir\` names) and resume the run: Paul clones it again.`,
        },
      );
    case "lock": {
      return new PaulError(
        "internal",
        `${what}: git's lock file is held by another process (${reason})`,
        {
          hint: "Paul waited and retried; if no git or Paul process is working on this repository, delete the .lock file git names.",
        },
      );
    }
    default:
      return undefined;
  }
}
