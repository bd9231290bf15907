import { z } from "zod";
import type { CtaRow } from "../db/ctas.ts";
import type { Queryable } from "../db/pool.ts";
import type { RunRow } from "../db/runs.ts";

/** Queries for Slack's own tables (migrations/002_slack.sql) and the Slack views of runs. */

export interface ChannelRepo {
  channel: string;
  repo: string;
  base_branch: string | null;
  set_by: string;
  set_at: Date;
}

export async function getChannelRepo(
  db: Queryable,
  channel: string,
): Promise<ChannelRepo | undefined> {
  return (
    await db.query<ChannelRepo>("select * from slack_channel_repos where channel = $1", [channel])
  ).rows[0];
}

export async function setChannelRepo(
  db: Queryable,
  r: { channel: string; repo: string; baseBranch: string | undefined; setBy: string },
): Promise<void> {
  await db.query(
    `insert into slack_channel_repos (channel, repo, base_branch, set_by) values ($1, $2, $3, $4)
     on conflict (channel) do update set repo = $2, base_branch = $3, set_by = $4, set_at = now()`,
    [r.channel, r.repo, r.baseBranch ?? null, r.setBy],
  );
}

export async function slackCursor(db: Queryable, runId: string): Promise<string> {
  const res = await db.query<{ event_id: string }>(
    "select event_id::text from slack_cursors where run_id = $1",
    [runId],
  );
  return res.rows[0]?.event_id ?? "0";
}

export async function setSlackCursor(db: Queryable, runId: string, eventId: string): Promise<void> {
  await db.query(
    `insert into slack_cursors (run_id, event_id) values ($1, $2)
     on conflict (run_id) do update set event_id = greatest(slack_cursors.event_id, $2), updated_at = now()`,
    [runId, eventId],
  );
}

/** Slack runs with events their thread has not shown yet (after a restart, or a missed notification). */
export async function runsWithUnseenEvents(db: Queryable, limit = 100): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    `select r.id from runs r left join slack_cursors c on c.run_id = r.id
      where r.origin = 'slack' and r.channel is not null
        and exists (select 1 from run_events e where e.run_id = r.id and e.id > coalesce(c.event_id, 0))
      order by r.created_at limit $1`,
    [limit],
  );
  return res.rows.map((r) => r.id);
}

const MessageRefSchema = z.object({
  channel: z.string(),
  ts: z.string(),
  closed: z.boolean().optional(),
});
export type MessageRef = z.infer<typeof MessageRefSchema>;

export function messageRef(cta: CtaRow): MessageRef | undefined {
  const parsed = MessageRefSchema.safeParse(cta.message_ref);
  return parsed.success ? parsed.data : undefined;
}

export async function setMessageRef(db: Queryable, ctaId: string, ref: MessageRef): Promise<void> {
  await db.query("update ctas set message_ref = $2 where id = $1", [ctaId, JSON.stringify(ref)]);
}

/** CTA messages of a run whose buttons are still showing. */
export async function openCtaMessages(db: Queryable, runId: string): Promise<CtaRow[]> {
  return (
    await db.query<CtaRow>(
      "select * from ctas where run_id = $1 and message_ref is not null and (message_ref->>'closed') is null order by id",
      [runId],
    )
  ).rows;
}

export async function runByThread(
  db: Queryable,
  channel: string,
  threadTs: string,
): Promise<RunRow | undefined> {
  return (
    await db.query<RunRow>(
      "select * from runs where origin = 'slack' and channel = $1 and thread_ts = $2",
      [channel, threadTs],
    )
  ).rows[0];
}

export async function runsInChannel(
  db: Queryable,
  channel: string,
  limit: number,
): Promise<RunRow[]> {
  return (
    await db.query<RunRow>(
      "select * from runs where origin = 'slack' and channel = $1 order by created_at desc limit $2",
      [channel, limit],
    )
  ).rows;
}

export async function runsOfUser(db: Queryable, user: string, limit: number): Promise<RunRow[]> {
  return (
    await db.query<RunRow>(
      "select * from runs where requester = $1 order by created_at desc limit $2",
      [user, limit],
    )
  ).rows;
}

export async function runsInChannels(
  db: Queryable,
  channels: string[],
  notBy: string,
  limit: number,
): Promise<RunRow[]> {
  if (channels.length === 0) return [];
  return (
    await db.query<RunRow>(
      `select * from runs where origin = 'slack' and channel = any($1) and requester <> $2
        order by created_at desc limit $3`,
      [channels, notBy, limit],
    )
  ).rows;
}

export async function costs(db: Queryable, runIds: string[]): Promise<Map<string, number>> {
  if (runIds.length === 0) return new Map();
  const res = await db.query<{ run_id: string; cost: string }>(
    "select run_id, sum(cost_usd)::text as cost from llm_usage where run_id = any($1) group by run_id",
    [runIds],
  );
  return new Map(res.rows.map((r) => [r.run_id, Number(r.cost)]));
}
