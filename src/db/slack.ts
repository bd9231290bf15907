import pg from "pg";
import { EVENTS_CHANNEL } from "./events.ts";
import type { Queryable } from "./pool.ts";
import type { RunRow } from "./runs.ts";

/**
 * Every query of the Slack face: its own tables (slack_threads,
 * slack_cta_messages, slack_cursors, slack_channel_repos; migrations 002 and
 * 006), the Slack views of runs and questions, and the notifier's connection.
 */

/** Where a Slack run is shown: the thread under its root message. */
export interface SlackThread {
  channel: string;
  thread_ts: string;
}

/** A run started from Slack, with its thread. */
export type SlackRun = RunRow & SlackThread;

/** A run from any face, with its Slack thread when it has one. */
export type RunWithThread = RunRow & { channel: string | null; thread_ts: string | null };

/** The run's `origin_ref` for a Slack run: opaque to the pipeline, readable in `paul show`. */
export function slackOriginRef(t: SlackThread): string {
  return `${t.channel}/${t.thread_ts}`;
}

export async function insertSlackThread(
  db: Queryable,
  runId: string,
  t: SlackThread,
): Promise<void> {
  await db.query("insert into slack_threads (run_id, channel, thread_ts) values ($1, $2, $3)", [
    runId,
    t.channel,
    t.thread_ts,
  ]);
}

const SLACK_RUNS =
  "select r.*, t.channel, t.thread_ts from runs r join slack_threads t on t.run_id = r.id";

export async function getSlackRun(db: Queryable, runId: string): Promise<SlackRun | undefined> {
  return (await db.query<SlackRun>(`${SLACK_RUNS} where r.id = $1`, [runId])).rows[0];
}

export async function runByThread(
  db: Queryable,
  channel: string,
  threadTs: string,
): Promise<SlackRun | undefined> {
  return (
    await db.query<SlackRun>(`${SLACK_RUNS} where t.channel = $1 and t.thread_ts = $2`, [
      channel,
      threadTs,
    ])
  ).rows[0];
}

export async function runsInChannel(
  db: Queryable,
  channel: string,
  limit: number,
): Promise<SlackRun[]> {
  return (
    await db.query<SlackRun>(
      `${SLACK_RUNS} where t.channel = $1 order by r.created_at desc limit $2`,
      [channel, limit],
    )
  ).rows;
}

/** Slack runs in any of `channels` that someone other than `notBy` asked for. */
export async function runsInChannels(
  db: Queryable,
  channels: string[],
  notBy: string,
  limit: number,
): Promise<SlackRun[]> {
  if (channels.length === 0) return [];
  return (
    await db.query<SlackRun>(
      `${SLACK_RUNS} where t.channel = any($1) and r.requester <> $2
        order by r.created_at desc limit $3`,
      [channels, notBy, limit],
    )
  ).rows;
}

const ANY_RUNS =
  "select r.*, t.channel, t.thread_ts from runs r left join slack_threads t on t.run_id = r.id";

export async function getRunWithThread(
  db: Queryable,
  runId: string,
): Promise<RunWithThread | undefined> {
  return (await db.query<RunWithThread>(`${ANY_RUNS} where r.id = $1`, [runId])).rows[0];
}

/** A person's runs, from every face. */
export async function runsOfUser(
  db: Queryable,
  user: string,
  limit: number,
): Promise<RunWithThread[]> {
  return (
    await db.query<RunWithThread>(
      `${ANY_RUNS} where r.requester = $1 order by r.created_at desc limit $2`,
      [user, limit],
    )
  ).rows;
}

/** Each run's model cost so far, in USD; runs with no model call yet are missing. */
export async function costs(db: Queryable, runIds: string[]): Promise<Map<string, number>> {
  if (runIds.length === 0) return new Map();
  const res = await db.query<{ run_id: string; cost: string }>(
    "select run_id, sum(cost_usd)::text as cost from llm_usage where run_id = any($1) group by run_id",
    [runIds],
  );
  return new Map(res.rows.map((r) => [r.run_id, Number(r.cost)]));
}

// Channels' default repositories.

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

// How far each run's thread has been drawn.

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
    `select r.id from runs r join slack_threads t on t.run_id = r.id
       left join slack_cursors c on c.run_id = r.id
      where exists (select 1 from run_events e where e.run_id = r.id and e.id > coalesce(c.event_id, 0))
      order by r.created_at limit $1`,
    [limit],
  );
  return res.rows.map((r) => r.id);
}

// The messages that asked questions.

export interface CtaMessage {
  cta_id: string;
  channel: string;
  ts: string;
  /** Its buttons are gone: it says who decided what, or that the question closed. */
  closed: boolean;
}

export async function ctaMessage(db: Queryable, ctaId: string): Promise<CtaMessage | undefined> {
  return (await db.query<CtaMessage>("select * from slack_cta_messages where cta_id = $1", [ctaId]))
    .rows[0];
}

export async function saveCtaMessage(db: Queryable, m: CtaMessage): Promise<void> {
  await db.query(
    `insert into slack_cta_messages (cta_id, channel, ts, closed) values ($1, $2, $3, $4)
     on conflict (cta_id) do update set channel = $2, ts = $3, closed = $4`,
    [m.cta_id, m.channel, m.ts, m.closed],
  );
}

/** A run's question messages whose buttons are still showing. */
export async function openCtaMessages(db: Queryable, runId: string): Promise<CtaMessage[]> {
  return (
    await db.query<CtaMessage>(
      `select m.* from slack_cta_messages m join ctas c on c.id = m.cta_id
        where c.run_id = $1 and not m.closed order by m.cta_id`,
      [runId],
    )
  ).rows;
}

// The notifier's connection.

export interface EventListener {
  /**
   * Take the notifiers' lock unless another connection holds it: one notifier
   * per database draws threads, the others stand by. Held until the connection ends.
   */
  tryLead(): Promise<boolean>;
  end(): Promise<void>;
}

const LEAD = "select pg_try_advisory_lock(hashtext('paul:slack-notifier')) as ok";

/**
 * A connection of its own that LISTENs for run events: `event` gets the run id
 * of each one. When the connection is lost, `lost` is told (with this
 * listener) and the connection is closed; the caller opens a new one.
 */
export async function listenForRunEvents(
  connectionString: string,
  on: { event(runId: string): void; lost(e: Error, which: EventListener): void },
): Promise<EventListener> {
  const c = new pg.Client({ connectionString });
  const listener: EventListener = {
    tryLead: async () => (await c.query<{ ok: boolean }>(LEAD)).rows[0]?.ok === true,
    end: () => c.end(),
  };
  c.on("notification", (m) => {
    if (m.channel === EVENTS_CHANNEL && m.payload) on.event(m.payload);
  });
  c.on("error", (e) => {
    on.lost(e, listener);
    // The connection is already broken; ending it only frees the socket, and its error says nothing new.
    void c.end().catch(() => {});
  });
  await c.connect();
  try {
    await c.query(`listen ${EVENTS_CHANNEL}`);
  } catch (e) {
    // The LISTEN's own error is the one the caller hears of.
    await c.end().catch(() => {});
    throw e;
  }
  return listener;
}
