import { eventsAfter, type RunEventRow } from "../db/events.ts";
import type { Pool } from "../db/pool.ts";
import {
  type EventListener,
  getSlackRun,
  listenForRunEvents,
  runsWithUnseenEvents,
  type SlackRun,
  setSlackCursor,
  slackCursor,
} from "../db/slack.ts";
import { createCoalescer } from "./coalesce.ts";
import { createSendQueue } from "./send-queue.ts";
import { threadRenderer } from "./thread.ts";
import { isTransient, slackErrorCode, type WebClient } from "./web.ts";

/**
 * Follows run_events for Slack runs and keeps their threads up to date.
 * LISTEN wakes it at once; a periodic sweep catches anything a notification
 * missed (a restart, a dropped connection). A cursor per run in the database
 * means a restarted `paul serve` continues where it stopped instead of
 * reposting. One notifier per database is active (an advisory lock); others
 * stand by and take over when it goes away.
 */
export interface NotifierOptions {
  pool: Pool;
  connectionString: string;
  web: WebClient;
  redact: (s: string) => string;
  log: (s: string) => void;
  sweepMs?: number;
  /** Minimum time between two updates of one message. */
  updateIntervalMs?: number;
}

export interface Notifier {
  poke(runId: string): void;
  isLeader(): boolean;
  /** Resolves when every known event is shown and no update is pending (tests, shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const MAX_TRANSIENT_FAILURES = 5;

export async function startNotifier(o: NotifierOptions): Promise<Notifier> {
  const { pool, log } = o;
  const coalescer = createCoalescer(o.updateIntervalMs ?? 1000, (e) =>
    log(`slack: a message update failed: ${describe(e)}`),
  );
  const queue = createSendQueue();
  const thread = threadRenderer({ pool, web: o.web, redact: o.redact, coalescer, queue });
  const dirty = new Set<string>();
  const failures = new Map<string, number>();
  let client: EventListener | undefined;
  let leader = false;
  let loop: Promise<void> | undefined;
  let stopped = false;

  async function connect(): Promise<EventListener> {
    const l = await listenForRunEvents(o.connectionString, {
      event: poke,
      lost(e, which) {
        if (!stopped) log(`slack notifier: database connection lost (${e.message}); reconnecting`);
        if (client === which) {
          client = undefined;
          leader = false;
        }
      },
    });
    client = l;
    return l;
  }

  async function sweep(): Promise<void> {
    if (stopped) return;
    const c = client ?? (await connect());
    if (!leader) leader = await c.tryLead();
    if (!leader) return;
    for (const id of await runsWithUnseenEvents(pool)) poke(id);
  }

  function poke(runId: string): void {
    if (stopped || !leader) return;
    dirty.add(runId);
    loop ??= (async () => {
      for (const id of dirty) {
        if (stopped) break;
        dirty.delete(id);
        await processRun(id).catch((e) => log(`slack: run ${id}: ${describe(e)}`));
      }
    })().finally(() => {
      loop = undefined;
    });
  }

  async function processRun(id: string): Promise<void> {
    // A run from another face has no thread to draw.
    const run = await getSlackRun(pool, id);
    if (!run) return;
    const events = await eventsAfter(pool, id, await slackCursor(pool, id));
    if (events.length === 0) return;
    // The root's redraws wait until this run's questions and outputs are out.
    const release = queue.hold(run.channel);
    try {
      await showEvents(run, events);
    } finally {
      release();
    }
  }

  async function showEvents(run: SlackRun, events: RunEventRow[]): Promise<void> {
    const id = run.id;
    for (const ev of events) {
      try {
        await thread.handle(run, ev);
      } catch (e) {
        const n = (failures.get(ev.id) ?? 0) + 1;
        if (isTransient(e) && n < MAX_TRANSIENT_FAILURES) {
          // Left for the next sweep: Slack or the network may be back by then.
          failures.set(ev.id, n);
          log(`slack: run ${id}: ${ev.kind} not shown yet (${describe(e)}); will retry`);
          return;
        }
        log(`slack: run ${id}: ${ev.kind} could not be shown (${describe(e)})`);
        await queue
          .send(run.channel, "urgent", () =>
            o.web.chat.postMessage({
              channel: run.channel,
              thread_ts: run.thread_ts,
              text: `:warning: Paul could not show a ${ev.kind.replace(/_/g, " ")} here (${slackErrorCode(e) ?? "error"}). \`paul show ${id}\` in a terminal has everything.`,
            }),
          )
          .catch((told: unknown) =>
            log(`slack: run ${id}: the thread could not be told either (${describe(told)})`),
          );
      }
      failures.delete(ev.id);
      await setSlackCursor(pool, id, ev.id);
    }
  }

  const timer = setInterval(
    () => void sweep().catch((e) => log(`slack notifier: ${describe(e)}`)),
    o.sweepMs ?? 5000,
  );
  await sweep();

  return {
    poke,
    isLeader: () => leader,
    async idle() {
      for (;;) {
        await sweep();
        if (!leader) return;
        if (loop) await loop;
        await coalescer.idle();
        await queue.idle();
        if (!loop && dirty.size === 0 && (await runsWithUnseenEvents(pool, 1)).length === 0) return;
      }
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      // The loop logs each run's failure itself and the coalescer reports through onError:
      // neither rejects with anything not already told.
      await loop?.catch(() => {});
      await coalescer.idle().catch(() => {});
      coalescer.stop();
      // Closing the LISTEN connection on the way out: a failure leaves nothing behind.
      await client?.end().catch(() => {});
      client = undefined;
      leader = false;
    },
  };
}

function describe(e: unknown): string {
  return slackErrorCode(e) ?? (e instanceof Error ? e.message : String(e));
}
