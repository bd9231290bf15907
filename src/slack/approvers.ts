import type { RunRow } from "../db/runs.ts";
import { mention } from "./text.ts";
import { slackErrorCode, type WebClient } from "./web.ts";

/**
 * Who may decide a run's questions (and cancel it): its requester and the
 * configured approvers — user ids (U…, W…) directly, user groups (S…) by
 * their members, looked up with usergroups.users.list and cached briefly so
 * a burst of clicks costs one call.
 */
export interface Approvers {
  mayDecide(user: string, run: Pick<RunRow, "requester">): Promise<boolean>;
  /** Words for the person who may not. */
  refusal(run: Pick<RunRow, "requester">): string;
}

export function createApprovers(
  ids: readonly string[],
  web: WebClient,
  log: (s: string) => void,
  ttlMs = 60_000,
): Approvers {
  const users = new Set(ids.filter((id) => !id.startsWith("S")));
  const groups = ids.filter((id) => id.startsWith("S"));
  const cache = new Map<string, { members: Promise<Set<string>>; at: number }>();

  function members(group: string): Promise<Set<string>> {
    const hit = cache.get(group);
    if (hit && Date.now() - hit.at < ttlMs) return hit.members;
    const p = web.usergroups.users
      .list({ usergroup: group })
      .then((r) => new Set(r.users ?? []))
      .catch((e: unknown) => {
        // Refuse rather than guess; the next click asks Slack again.
        cache.delete(group);
        log(`slack: members of user group ${group} unknown (${slackErrorCode(e) ?? String(e)})`);
        return new Set<string>();
      });
    cache.set(group, { members: p, at: Date.now() });
    return p;
  }

  return {
    async mayDecide(user, run) {
      if (user === run.requester || users.has(user)) return true;
      for (const g of groups) if ((await members(g)).has(user)) return true;
      return false;
    },
    refusal(run) {
      const who = [`${mention(run.requester)} (who asked for it)`];
      if (users.size > 0 || groups.length > 0) {
        who.push(...[...users].map((u) => `<@${u}>`), ...groups.map((g) => `<!subteam^${g}>`));
      }
      return `:lock: Only ${who.join(", ")} can decide for this run, so nothing changed. Ask one of them, or ask whoever runs Paul to add you to PAUL_APPROVERS.`;
    },
  };
}
