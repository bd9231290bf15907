import { expect, test } from "vitest";
import { createSendQueue } from "../../src/slack/send-queue.ts";

/** The notifier's per-channel send queue, on its own: order, holds, merging. */
const tick = () => new Promise((r) => setTimeout(r, 5));

function recorder() {
  const ran: string[] = [];
  let open: (() => void) | undefined;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  return {
    ran,
    open: () => open?.(),
    /** A send that records itself; `wait` ones stay running until open(). */
    task:
      (name: string, wait = false) =>
      async () => {
        ran.push(name);
        if (wait) await gate;
      },
  };
}

test("one send at a time per channel; urgent ones overtake waiting cosmetic ones", async () => {
  const q = createSendQueue();
  const r = recorder();
  const first = q.send("C1", "cosmetic", r.task("busy", true));
  const done = [
    q.update("C1", "root:1", "cosmetic", r.task("root")),
    q.send("C1", "urgent", r.task("question")),
    q.send("C1", "urgent", r.task("final")),
  ];
  // Another channel is not held up by C1.
  await q.send("C2", "cosmetic", r.task("other channel"));
  expect(r.ran).toEqual(["busy", "other channel"]);
  r.open();
  await Promise.all([first, ...done]);
  expect(r.ran).toEqual(["busy", "other channel", "question", "final", "root"]);
});

test("a held channel sends urgent things and keeps cosmetic ones until released", async () => {
  const q = createSendQueue();
  const r = recorder();
  const release = q.hold("C1");
  const root = q.update("C1", "root:1", "cosmetic", r.task("root"));
  await q.send("C1", "urgent", r.task("reply"));
  await tick();
  expect(r.ran).toEqual(["reply"]);
  release();
  await root;
  expect(r.ran).toEqual(["reply", "root"]);
  await q.idle();
});

test("waiting updates of one message become the latest one, at the higher priority; each caller is answered", async () => {
  const q = createSendQueue();
  const r = recorder();
  const release = q.hold("C1");
  const updates = [1, 2, 3].map((i) => q.update("C1", "root:1", "cosmetic", r.task(`root v${i}`)));
  const other = q.update("C1", "root:2", "cosmetic", r.task("other root"));
  await tick();
  expect(r.ran).toEqual([]);
  // The run's last state is urgent: it goes now, held or not, and the cosmetic ones are it.
  await q.update("C1", "root:1", "urgent", r.task("root final"));
  await Promise.all(updates);
  expect(r.ran).toEqual(["root final"]);
  release();
  await other;
  expect(r.ran).toEqual(["root final", "other root"]);
});

test("a failed send rejects its callers and the queue goes on", async () => {
  const q = createSendQueue();
  const r = recorder();
  const failing = q.send("C1", "urgent", async () => {
    throw new Error("invalid_blocks");
  });
  const next = q.send("C1", "urgent", r.task("next"));
  await expect(failing).rejects.toThrow("invalid_blocks");
  await next;
  expect(r.ran).toEqual(["next"]);
  await q.idle();
});
