/**
 * Ctrl-C and SIGTERM for a command that has things to put away: the first one
 * starts a clean stop (`onStop`), a second one forces the exit at once.
 */
export function onInterrupt(
  onStop: (signal: NodeJS.Signals) => void,
  io: { err: (s: string) => void },
): () => void {
  let seen = false;
  const handler = (signal: NodeJS.Signals) => {
    if (seen) {
      io.err("\nForced exit: background work may still be running.\n");
      process.exit(130);
    }
    seen = true;
    onStop(signal);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}

/** A promise that settles on the first Ctrl-C/SIGTERM, and the function that stops listening. */
export function interrupted(io: { err: (s: string) => void }): {
  signal: Promise<NodeJS.Signals>;
  dispose: () => void;
} {
  let resolve: (s: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((r) => {
    resolve = r;
  });
  const dispose = onInterrupt((s) => resolve(s), io);
  return { signal, dispose };
}
