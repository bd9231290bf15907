import { expect } from "vitest";
import { startFakeSlack } from "../support/fake-slack.ts";
import { faultTest, since } from "../support/faults.ts";
import { tempDir } from "../support/git-fixtures.ts";
import { freePort } from "../support/global-setup.ts";
import { startPaul, waitFor } from "../support/harness.ts";
import { embeddedRunning } from "../support/pg-server.ts";

const BOT_TOKEN = "xoxb-test-0000-1111-abcdefghijkl";

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  faultTest(`\`paul serve\` gets ${signal} (embedded Postgres)`, async () => {
    const slack = await startFakeSlack({ token: BOT_TOKEN });
    const home = await tempDir("paul-home-");
    try {
      const p = startPaul(["serve"], {
        PAUL_HOME: home,
        PAUL_PG_PORT: String(await freePort()),
        PAUL_HTTP_PORT: String(await freePort()),
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: "test-signing-secret-0123456789",
        SLACK_API_URL: slack.apiUrl,
        ANTHROPIC_API_KEY: "sk-ant-unused-0123456789",
      });
      await waitFor(
        "serve to be up",
        async () => p.stdout().includes("Paul is serving Slack"),
        60_000,
      );
      expect(await embeddedRunning(home)).toBe(true);
      const t = performance.now();
      p.kill(signal);
      const res = await p.done;
      const ms = since(t);
      expect(res.code, res.stderr).toBe(0);
      expect(res.stdout).toContain("Stopping…");
      // The server it started is stopped with it.
      expect(await embeddedRunning(home)).toBe(false);
      return {
        outcome: `exit 0 in ${(ms / 1000).toFixed(1)} s; its embedded Postgres stopped`,
        recoverMs: null,
        runsLost: 0,
        duplicatePosts: 0,
      };
    } finally {
      await slack.close();
    }
  });
}
