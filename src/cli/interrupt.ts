/**
 * Ctrl-C and SIGTERM for a command that has things to put away: `signal`
 * settles on the first one, so the command can stop cleanly; a second one
 * forces the exit at once. `dispose` stops listening once the command is done.
 */
export function interrupted(io: { err: (s: string) => void }): {
  signal: Promise<NodeJS.Signals>;
  dispose: () => void;
} {
  let resolve: (s: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((r) => {
    resolve = r;
  });
  let seen = false;
  const handler = (s: NodeJS.Signals) => {
    if (seen) {
      io.err("\nForced exit: background work may still be running.\n");
      process.exit(130);
    }
    seen = true;
    resolve(s);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
