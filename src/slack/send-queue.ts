/**
 * Every Slack write of the notifier, one at a time per channel. When Slack
 * rate-limits, what people act on (questions, outputs, the final message)
 * must not wait behind cosmetic redraws (the root's checklist), so urgent
 * sends go first, and a cosmetic one also waits while the channel is held
 * (the notifier is still working through a run's events). Updates of one
 * message (a key) that are still waiting become one: the latest, at the
 * higher of their priorities; it renders when it runs, so nothing is lost.
 */
export type Priority = "urgent" | "cosmetic";

export interface SendQueue {
  send<T>(channel: string, priority: Priority, fn: () => Promise<T>): Promise<T>;
  /** An update of the message `key`, merged with one for the same key that has not started. */
  update(channel: string, key: string, priority: Priority, fn: () => Promise<void>): Promise<void>;
  /** Keep cosmetic sends back until the returned release is called. */
  hold(channel: string): () => void;
  /** Resolves when no channel has anything waiting or running. */
  idle(): Promise<void>;
}

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface Task {
  key: string | undefined;
  priority: Priority;
  /** A send hands its result to its caller itself; the waiters hear when it is done. */
  fn: () => Promise<void>;
  done: Waiter[];
}

interface Lane {
  tasks: Task[];
  busy: boolean;
  holds: number;
}

export function createSendQueue(): SendQueue {
  const lanes = new Map<string, Lane>();
  let idleWaiters: (() => void)[] = [];

  const lane = (channel: string): Lane => {
    let l = lanes.get(channel);
    if (!l) {
      l = { tasks: [], busy: false, holds: 0 };
      lanes.set(channel, l);
    }
    return l;
  };

  const next = (l: Lane): Task | undefined => {
    const i = l.tasks.findIndex((t) => t.priority === "urgent");
    const at = i >= 0 ? i : l.holds === 0 && l.tasks.length > 0 ? 0 : -1;
    return at >= 0 ? l.tasks.splice(at, 1)[0] : undefined;
  };

  const pump = (channel: string) => {
    const l = lanes.get(channel);
    if (!l || l.busy) return;
    const t = next(l);
    if (!t) {
      if (l.tasks.length === 0 && l.holds === 0) lanes.delete(channel);
      if (lanes.size === 0) {
        for (const w of idleWaiters) w();
        idleWaiters = [];
      }
      return;
    }
    l.busy = true;
    void t
      .fn()
      .then(
        () => {
          for (const d of t.done) d.resolve();
        },
        (e: unknown) => {
          for (const d of t.done) d.reject(e);
        },
      )
      .finally(() => {
        l.busy = false;
        pump(channel);
      });
  };

  function enqueue(channel: string, t: Omit<Task, "done">, waiter: Waiter): void {
    const l = lane(channel);
    const same = t.key === undefined ? undefined : l.tasks.find((x) => x.key === t.key);
    if (same) {
      same.fn = t.fn;
      if (t.priority === "urgent") same.priority = "urgent";
      same.done.push(waiter);
    } else l.tasks.push({ ...t, done: [waiter] });
    pump(channel);
  }

  return {
    send: <T>(channel: string, priority: Priority, fn: () => Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        const run = async () => resolve(await fn());
        // Resolved by `run` with the result; only a failure comes through the waiter.
        enqueue(channel, { key: undefined, priority, fn: run }, { resolve: () => {}, reject });
      }),
    update: (channel, key, priority, fn) =>
      new Promise<void>((resolve, reject) => {
        enqueue(channel, { key, priority, fn }, { resolve, reject });
      }),
    hold(channel) {
      const l = lane(channel);
      l.holds++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        l.holds--;
        pump(channel);
      };
    },
    idle: () =>
      lanes.size === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r)),
  };
}
