import { invariant } from "../errors.ts";

/**
 * The environment child processes start from, before it is scrubbed. The
 * entry point (the CLI, the test setup, the benchmarks) sets it once at
 * start-up, next to parsing the config, so no module reads process.env on its own.
 */
let host: NodeJS.ProcessEnv | undefined;

export function setHostEnv(env: NodeJS.ProcessEnv): void {
  host = { ...env };
}

export function hostEnv(): NodeJS.ProcessEnv {
  invariant(host, "the host environment is not set: call setHostEnv() at start-up");
  return host;
}
