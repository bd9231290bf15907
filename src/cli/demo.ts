import { fileURLToPath } from "node:url";
import { startModelServer } from "../demo/model-server.ts";
import { createSampleRepo } from "../demo/sample.ts";
import { DEMO_FEATURE, demoModel } from "../demo/script.ts";

const SAMPLE = fileURLToPath(new URL("../demo/sample/", import.meta.url));
const DEMO_KEY = "demo-recorded-model-key";

export interface DemoRunner {
  build(feature: string, o: { repo: string; yes: boolean; approach: number }): Promise<void>;
  exitCode(): number;
}

/**
 * The whole pipeline with no key and no network: the sample repository as the
 * remote, a local server replaying recorded model answers, every phase shown.
 */
export async function runDemo(
  env: NodeJS.ProcessEnv,
  io: { out: (s: string) => void },
  cli: (env: NodeJS.ProcessEnv) => DemoRunner,
): Promise<number> {
  io.out(
    [
      "┌──────────────────────────────────────────────────────────────────────┐",
      "│ paul demo: a RECORDED model answers, not Claude. No key, no network. │",
      "│ Every phase runs for real: Postgres queue, git worktrees, the sample │",
      "│ repository's own tests and linter as gates.                          │",
      "└──────────────────────────────────────────────────────────────────────┘",
      "",
    ].join("\n"),
  );
  const repo = await createSampleRepo(SAMPLE);
  const server = await startModelServer({ apiKey: DEMO_KEY, respond: demoModel });
  try {
    const runner = cli({ ...env, ANTHROPIC_API_KEY: DEMO_KEY, ANTHROPIC_BASE_URL: server.url });
    io.out(`Sample repository: ${repo}\nFeature: ${DEMO_FEATURE}\n`);
    await runner.build(DEMO_FEATURE, { repo, yes: true, approach: 1 });
    io.out(`\nThe demo's branch is in ${repo} (git -C ${repo} log --oneline --all).\n`);
    return runner.exitCode();
  } finally {
    await server.close();
  }
}
