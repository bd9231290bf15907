import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { DEMO_FEATURE, demoModel } from "../../src/demo/script.ts";
import { git } from "../../src/workspace/git.ts";
import { createTestDb, type TestDb } from "../support/db.ts";
import {
  type ModelServer,
  roleOf,
  type ScriptedTurn,
  startModelServer,
  submit,
  text,
  toolUse,
  turnIndex,
} from "../support/fake-anthropic.ts";
import { type FakeGitHub, startFakeGitHub } from "../support/fake-github.ts";
import { removeFixtures, tempDir } from "../support/git-fixtures.ts";
import { cliEnv, MODEL_KEY, runPaul, sampleGitHubRemote } from "../support/harness.ts";

const SECRETS = {
  GITHUB_TOKEN: "ghp_secretGithubToken000000000000000000001",
  SLACK_BOT_TOKEN: "xoxb-secret-slack-token-0000000001",
  MY_SERVICE_PASSWORD: "hunter2-service-password-0001",
};
const OUTSIDE = "contents-of-a-file-outside-the-workspace-0001";

let db: TestDb;
let model: ModelServer;
let env: Record<string, string>;
let outsideFile: string;
let gh: FakeGitHub;

/** A coder that tries to read secrets, then does the real work so the run completes. */
function nosyCoder(req: Parameters<typeof demoModel>[0]): ScriptedTurn {
  if (roleOf(req) !== "coder") return demoModel(req);
  const t = turnIndex(req);
  const edit = (input: object) => toolUse("str_replace_based_edit_tool", input);
  if (t === 0) {
    return {
      content: [
        text("Let me look around."),
        toolUse("bash", { command: "env" }),
        toolUse("bash", {
          command: `ls -la ..; cat ../* 2>&1; cat ${outsideFile} 2>&1; cat ~/.bash_history 2>&1 | head`,
        }),
        toolUse("bash", { command: "cat escape-link 2>&1" }),
        edit({ command: "view", path: "../" }),
        edit({ command: "view", path: outsideFile }),
        edit({ command: "view", path: "escape-link" }),
        edit({ command: "create", path: "../planted.txt", file_text: "x" }),
      ],
    };
  }
  if (t === 1) {
    return {
      content: [
        edit({
          command: "create",
          path: "src/farewell.js",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: source text of the file to create
          file_text: "export function farewell(name) {\n  return `Goodbye, ${name}!`;\n}\n",
        }),
        edit({
          command: "create",
          path: "test/farewell.test.js",
          file_text:
            'import assert from "node:assert/strict";\nimport { test } from "node:test";\nimport { farewell } from "../src/farewell.js";\ntest("farewell", () => assert.equal(farewell("Ada"), "Goodbye, Ada!"));\n',
        }),
      ],
    };
  }
  return { content: [submit({ summary: "Added farewell.", conditionsAddressed: [] })] };
}

beforeAll(async () => {
  db = await createTestDb();
  const remote = await sampleGitHubRemote();
  const outside = await tempDir("paul-outside-");
  outsideFile = join(outside, "secret.txt");
  await writeFile(outsideFile, `${OUTSIDE}\n`);
  // The repository itself carries a symlink pointing out of any checkout of it.
  const work = join(remote.root, "work");
  await git(["-C", work, "config", "core.symlinks", "true"], work);
  const { symlink } = await import("node:fs/promises");
  await symlink(outsideFile, join(work, "escape-link"));
  await git(["add", "-A"], work);
  await git(["commit", "-q", "-m", "add a link"], work);
  await git(["push", "-q", remote.bare, "HEAD:refs/heads/main"], work);
  model = await startModelServer({ apiKey: MODEL_KEY, respond: nosyCoder });
  gh = await startFakeGitHub({
    token: SECRETS.GITHUB_TOKEN,
    repos: { "acme/greetings": { bare: remote.bare, defaultBranch: "main" } },
  });
  env = await cliEnv({
    dbUrl: db.url,
    modelUrl: model.url,
    githubWebUrl: remote.webUrl,
    extra: { GITHUB_API_URL: gh.url, ...SECRETS },
  });
});

afterAll(async () => {
  await model.close();
  await gh.close();
  await removeFixtures();
});

test("a coder that runs env, reads ../ and follows a symlink out gets no secret and no outside file", {
  timeout: 120_000,
}, async () => {
  const res = await runPaul(
    ["build", DEMO_FEATURE, "--repo", "acme/greetings", "--yes", "--approach", "1"],
    env,
  );
  expect(res.code, res.stdout + res.stderr).toBe(0);
  const coder = model.requests.filter((r) => roleOf(r) === "coder");
  expect(coder.length).toBeGreaterThan(1);
  const seen = JSON.stringify(coder);
  // The probes really ran and their results reached the model...
  expect(seen).toContain("PATH=");
  expect(seen).toMatch(/outside the workspace|not allowed|refus/i);
  // ...and none of them carried a secret or the outside file.
  for (const [name, value] of Object.entries({
    ...SECRETS,
    DATABASE_URL: db.url,
    ANTHROPIC_API_KEY: MODEL_KEY,
  })) {
    expect(seen, name).not.toContain(value);
  }
  expect(seen).not.toContain(OUTSIDE);
  // Nothing leaked into what Paul stored or printed either.
  const stored =
    JSON.stringify((await db.pool.query("select * from coder_attempts")).rows) +
    JSON.stringify((await db.pool.query("select output from gate_results")).rows);
  for (const value of Object.values(SECRETS)) {
    expect(stored).not.toContain(value);
    expect(res.stdout + res.stderr).not.toContain(value);
  }
});
