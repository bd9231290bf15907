/**
 * At most one update per key (one Slack message) per interval, the last
 * requested state winning: a burst of progress becomes one chat.update, and
 * updates of one message never overlap, so an older state can't land last.
 */
export interface Coalescer {
  schedule(key: string, update: () => Promise<void>): void;
  /** Forget the key's pending update (not one already running). */
  drop(key: string): void;
  /** Run the key's pending update now, ignoring the interval, and wait for it. */
  flush(key: string): Promise<void>;
  /** Wait until nothing is pending or running. */
  idle(): Promise<void>;
  /** Drop a key that will get no more updates (a finished run), once it is idle. */
  forget(key: string): void;
  stop(): void;
}

interface Slot {
  pending: (() => Promise<void>) | undefined;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  last: number;
}

export function createCoalescer(intervalMs: number, onError: (e: unknown) => void): Coalescer {
  const slots = new Map<string, Slot>();
  let stopped = false;

  const slot = (key: string): Slot => {
    let s = slots.get(key);
    if (!s) {
      s = { pending: undefined, timer: undefined, running: undefined, last: 0 };
      slots.set(key, s);
    }
    return s;
  };

  const arm = (key: string, s: Slot) => {
    if (stopped || s.timer || s.running || !s.pending) return;
    const wait = Math.max(0, s.last + intervalMs - Date.now());
    s.timer = setTimeout(() => void fire(key), wait);
  };

  const fire = (key: string): Promise<void> => {
    const s = slot(key);
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    if (s.running) return s.running;
    const update = s.pending;
    s.pending = undefined;
    if (!update) return Promise.resolve();
    s.running = update()
      .catch(onError)
      .finally(() => {
        // From when it landed: an update may have waited its turn to be sent.
        s.last = Date.now();
        s.running = undefined;
        arm(key, s);
      });
    return s.running;
  };

  return {
    schedule(key, update) {
      const s = slot(key);
      s.pending = update;
      arm(key, s);
    },
    drop(key) {
      const s = slots.get(key);
      if (!s) return;
      if (s.timer) clearTimeout(s.timer);
      s.timer = undefined;
      s.pending = undefined;
    },
    async flush(key) {
      const s = slots.get(key);
      if (!s) return;
      if (s.running) await s.running;
      if (s.pending) await fire(key);
    },
    async idle() {
      for (;;) {
        const busy = [...slots.values()].filter((s) => s.pending || s.running);
        if (busy.length === 0) return;
        await Promise.all(busy.map((s) => s.running ?? new Promise((r) => setTimeout(r, 20))));
      }
    },
    forget(key) {
      const s = slots.get(key);
      if (s && !s.pending && !s.running && !s.timer) slots.delete(key);
    },
    stop() {
      stopped = true;
      for (const s of slots.values()) if (s.timer) clearTimeout(s.timer);
      slots.clear();
    },
  };
}
