import { expect } from "vitest";
import { demoModel } from "../../src/demo/script.ts";
import { form, sign, slashCommand } from "../slack/payloads.ts";
import { type MessagesRequest, roleOf, startModelServer } from "../support/fake-anthropic.ts";
import { startFakeGitHub } from "../support/fake-github.ts";
import { startFakeSlack } from "../support/fake-slack.ts";
import { faultTest, since } from "../support/faults.ts";
import { tempDir } from "../support/git-fixtures.ts";
import { freePort } from "../support/global-setup.ts";
import {
  GITHUB_TOKEN,
  MODEL_KEY,
  sampleGitHubRemote,
  startPaul,
  waitFor,
} from "../support/harness.ts";
import { embeddedRunning, startPgServer } from "../support/pg-server.ts";

const BOT_TOKEN = "xoxb-test-0000-1111-abcdefghijkl";
const SECRET = "test-signing-secret-0123456789";

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

faultTest(
  "Postgres restarts (down 3 s) under `paul serve` mid-run",
  async () => {
    const remote = await sampleGitHubRemote();
    const server = await startPgServer();
    const slack = await startFakeSlack({ token: BOT_TOKEN });
    const gh = await startFakeGitHub({
      token: GITHUB_TOKEN,
      repos: { "acme/greetings": { bare: remote.bare, defaultBranch: "main" } },
    });
    let fired = false;
    const model = await startModelServer({
      apiKey: MODEL_KEY,
      respond: async (req: MessagesRequest) => {
        if (!fired && roleOf(req) === "analysis") {
          fired = true;
          // Down before the analysis answer is given, so the rest of the phase
          // (and its question) has to ride out the restart: a blip started
          // after answering could miss a phase that finished quickly.
          await server.stop();
          setTimeout(() => void server.start(), 3000);
        }
        return demoModel(req);
      },
    });
    const port = await freePort();
    const p = startPaul(["serve"], {
      DATABASE_URL: server.url,
      PAUL_HOME: await tempDir("paul-home-"),
      PAUL_HTTP_PORT: String(port),
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      ANTHROPIC_API_KEY: MODEL_KEY,
      ANTHROPIC_BASE_URL: model.url,
      GITHUB_URL: remote.webUrl,
      GITHUB_TOKEN,
      GITHUB_API_URL: gh.url,
    });
    try {
      await waitFor(
        "serve to be up",
        async () => p.stdout().includes("Paul is serving Slack"),
        60_000,
      );
      const body = form(
        slashCommand({
          text: "build add x --repo acme/greetings",
          user: "U0REQUESTER",
          channel: "C0BUILDS",
          responseUrl: slack.responseUrl(),
          triggerId: "trigger-1",
        }),
      );
      const s = sign(body, "application/x-www-form-urlencoded", SECRET);
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: "POST",
        headers: s.headers,
        body: s.body,
      });
      expect(res.status, await res.text()).toBe(200);
      // The analysis finishes across the restart and its question reaches the thread, once.
      const asked = () => slack.messages.filter((m) => JSON.stringify(m).includes("Approve"));
      await waitFor(
        "the analysis question in the thread",
        async () => asked().length > 0,
        60_000,
      ).catch((e: Error) => {
        const said = [
          ...slack.calls.map((c) => `${c.method} ${JSON.stringify(c.response).slice(0, 200)}`),
          ...slack.ephemerals.map((m) => JSON.stringify(m).slice(0, 300)),
        ].join("\n");
        throw new Error(`${e.message}\nserve:\n${p.stderr()}\nslack:\n${said}`);
      });
      // Time for a second copy to show up, if one were coming.
      await new Promise((r) => setTimeout(r, 1500));
      const question = asked();
      expect(question.length).toBe(1);
      const log = p.stderr();
      expect(log.match(/Database unreachable, retrying/g)?.length, log).toBe(1);
      expect(log).toMatch(/Database is back after/);
      expect(log).not.toMatch(/\n\s+at /);
      p.kill("SIGTERM");
      const done = await p.done;
      expect(done.code, done.stderr).toBe(0);
      const m = /Database is back after ([\d.]+) s/.exec(log);
      return {
        outcome: "serve stayed up; the run's question reached the thread once",
        recoverMs: m?.[1] ? Math.round(Number(m[1]) * 1000) : null,
        runsLost: 0,
        duplicatePosts: question.length - 1,
      };
    } finally {
      p.kill("SIGKILL");
      await slack.close();
      await model.close();
      await gh.close();
      await server.stop();
    }
  },
  180_000,
);
