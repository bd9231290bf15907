import { cp, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type App, openAppWith } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import {
  type ModelServer,
  type ModelServerOptions,
  startModelServer,
} from "../../src/demo/model-server.ts";
import { demoModel } from "../../src/demo/script.ts";
import { EVENTS_PATH } from "../../src/slack/app.ts";
import { type SlackService, startSlackService } from "../../src/slack/service.ts";
import { startWorker, type WorkerHandle } from "../../src/worker.ts";
import { git } from "../../src/workspace/git.ts";
import { createTestDb, type TestDb } from "../support/db.ts";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.ts";
import {
  type FakeMessage,
  type FakeSlack,
  type FakeSlackOptions,
  startFakeSlack,
} from "../support/fake-slack.ts";
import { removeFixtures, tempDir } from "../support/git-fixtures.ts";
import {
  blockAction,
  eventCallback,
  form,
  type Signed,
  sign,
  slashCommand,
  viewSubmission,
} from "./payloads.ts";

/**
 * Paul's Slack face against its real dependencies: a migrated test database,
 * the real Bolt app over HTTP, the pipeline's workers, a bare git repository
 * standing for GitHub's git, and local servers for the Slack Web API, the
 * GitHub REST API and the Anthropic API.
 */
export const SIGNING_SECRET = "test-signing-secret-0123456789";
export const BOT_TOKEN = "xoxb-test-0000-1111-abcdefghijkl";
export const GH_TOKEN = "ghp_testtokentesttokentesttoken123456";
export const MODEL_KEY = "sk-ant-test-key-for-the-recorded-model";
export const REPO = "acme/greetings";
export const CHANNEL = "C0BUILDS";
export const REQUESTER = "U0REQUESTER";
/** The runs with their Slack threads (a RunWithThread each): `${RUNS} where …`. */
export const RUNS =
  "select r.*, t.channel, t.thread_ts from runs r left join slack_threads t on t.run_id = r.id";

const SAMPLE = fileURLToPath(new URL("../../src/demo/sample/", import.meta.url));

export interface HarnessOptions {
  worker?: boolean;
  model?: ModelServerOptions["respond"];
  approvers?: string;
  slack?: Omit<FakeSlackOptions, "token">;
  sweepMs?: number;
  updateIntervalMs?: number;
  /** Serve over Socket Mode with this app-level token instead of HTTP. */
  appToken?: string;
}

export interface Harness {
  db: TestDb;
  app: App;
  slack: FakeSlack;
  github: FakeGitHub;
  model: ModelServer;
  service: SlackService;
  worker: WorkerHandle | undefined;
  env: NodeJS.ProcessEnv;
  logs: string[];
  /** POST a raw body with a valid (or the given) signature to the Bolt app. */
  post(
    body: string,
    type: string,
    sig?: { timestamp?: number; secret?: string },
  ): Promise<Response>;
  command(text: string, o?: { user?: string; channel?: string }): Promise<Response>;
  click(m: FakeMessage, label: string, user?: string): Promise<Response>;
  submitModal(viewId: string, feedback: string, user?: string): Promise<Response>;
  event(event: Record<string, unknown>, retryNum?: number): Promise<Response>;
  /** Restart the Slack service (Bolt app and notifier) on the same database. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const db = await createTestDb();
  const home = await tempDir("paul-slack-home-");
  const ghRoot = await tempDir("paul-slack-gh-");
  const bare = join(ghRoot, `${REPO}.git`);
  const work = await tempDir("paul-slack-src-");
  await cp(SAMPLE, work, { recursive: true });
  await git(["init", "-q", "-b", "main"], work);
  await git(["add", "-A"], work);
  await git(["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "greetings"], work);
  await mkdir(join(ghRoot, "acme"), { recursive: true });
  await git(["clone", "-q", "--bare", work, bare], ghRoot);

  const slack = await startFakeSlack({
    token: BOT_TOKEN,
    ...o.slack,
    ...(o.appToken ? { appToken: o.appToken } : {}),
  });
  const github = await startFakeGitHub({
    token: GH_TOKEN,
    repos: { [REPO]: { bare, defaultBranch: "main" } },
  });
  const model = await startModelServer({ apiKey: MODEL_KEY, respond: o.model ?? demoModel });
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: db.url,
    PAUL_HOME: home,
    ANTHROPIC_API_KEY: MODEL_KEY,
    ANTHROPIC_BASE_URL: model.url,
    GITHUB_TOKEN: GH_TOKEN,
    GITHUB_API_URL: github.url,
    GITHUB_URL: `file://${ghRoot}`,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PAUL_WORKER_CONCURRENCY: "3",
    ...(o.approvers ? { PAUL_APPROVERS: o.approvers } : {}),
    ...(o.appToken ? { SLACK_APP_TOKEN: o.appToken } : {}),
  };
  const logs: string[] = [];
  const log = (s: string) => logs.push(s);
  const app = await openAppWith(loadConfig(env, "serve"), log);
  const start = () =>
    startSlackService({
      deps: app.deps,
      dbUrl: app.db.url,
      log,
      port: 0,
      sweepMs: o.sweepMs ?? 300,
      updateIntervalMs: o.updateIntervalMs ?? 150,
    });
  let service = await start();
  const worker = o.worker ? await startWorker(app.deps) : undefined;
  let n = 0;
  const send = (s: Signed) =>
    fetch(`http://127.0.0.1:${service.port}${EVENTS_PATH}`, {
      method: "POST",
      headers: s.headers,
      body: s.body,
    });
  const post: Harness["post"] = (body, type, sig = {}) =>
    send(sign(body, type, sig.secret ?? SIGNING_SECRET, sig));
  const interaction = (payload: unknown) =>
    post(form({ payload: JSON.stringify(payload) }), "application/x-www-form-urlencoded");

  const h: Harness = {
    db,
    app,
    slack,
    github,
    model,
    service,
    worker,
    env,
    logs,
    post,
    command: (text, c = {}) =>
      post(
        form(
          slashCommand({
            text,
            user: c.user ?? REQUESTER,
            channel: c.channel ?? CHANNEL,
            responseUrl: slack.responseUrl(),
            triggerId: `trigger-${++n}`,
          }),
        ),
        "application/x-www-form-urlencoded",
      ),
    click: (m, label, user = REQUESTER) =>
      interaction(
        blockAction(m, label, {
          user,
          responseUrl: slack.responseUrl(),
          triggerId: `trigger-${++n}`,
        }),
      ),
    submitModal(viewId, feedback, user = REQUESTER) {
      const v = slack.views.find((x) => x.id === viewId);
      if (!v) throw new Error(`no view ${viewId}`);
      return interaction(viewSubmission(v, feedback, { user, triggerId: `trigger-${++n}` }));
    },
    event: (event, retryNum) =>
      send(
        sign(
          eventCallback(event, `Ev${++n}`),
          "application/json",
          SIGNING_SECRET,
          retryNum ? { retryNum } : {},
        ),
      ),
    async restart() {
      await service.stop();
      service = await start();
      h.service = service;
    },
    async close() {
      await service.stop();
      await worker?.stop();
      await app.close();
      await Promise.all([slack.close(), github.close(), model.close()]);
      await removeFixtures();
    },
  };
  return h;
}

/** Poll until `fn` returns a value (not undefined/false), or fail with what was awaited. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
