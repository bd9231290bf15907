import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { git } from "../../src/workspace/git.ts";
import { CHANNEL, type Harness, REPO, REQUESTER, RUNS, startHarness, waitFor } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  // A second branch on the remote, to be named by --base and suggested when one is misspelled.
  const bare = join(fileURLToPath(h.env.GITHUB_URL!), `${REPO}.git`);
  await git(["--git-dir", bare, "branch", "release", "main"], bare);
});
afterAll(async () => h?.close());
beforeEach(() => {
  h.slack.ephemerals.length = 0;
});

const count = async (sql: string) => Number((await h.db.pool.query<{ n: string }>(sql)).rows[0]?.n);

async function expectNothingCreated() {
  expect(await count("select count(*)::text as n from runs")).toBe(0);
  expect(await count("select count(*)::text as n from graphile_worker._private_jobs")).toBe(0);
  expect(h.slack.callsTo("chat.postMessage")).toEqual([]);
}

/** The one ephemeral answer to a command: in the ack body, or later through response_url. */
async function answer(res: Response): Promise<string> {
  expect(res.status).toBe(200);
  const raw = await res.text();
  if (raw) {
    const body = JSON.parse(raw) as { text: string; response_type: string };
    expect(body.response_type).toBe("ephemeral");
    return body.text;
  }
  const e = await waitFor("an ephemeral answer", () => h.slack.ephemerals[0]);
  expect(e.responseType).toBe("ephemeral");
  return e.text;
}

test("an unknown subcommand is answered in the ack and creates nothing", async () => {
  const text = await answer(await h.command("deploy everything"));
  expect(text).toContain("`deploy` is not a Paul command");
  expect(text).toContain("/paul help");
  await expectNothingCreated();
});

test("an empty feature is answered with what to type and creates nothing", async () => {
  for (const cmd of [
    "build",
    "build   ",
    `build --repo ${REPO}`,
    `build --repo ${REPO} --base main`,
  ]) {
    h.slack.ephemerals.length = 0;
    const text = await answer(await h.command(cmd));
    expect(text).toContain("The feature is empty");
    expect(text).toContain("/paul build add a --json flag");
  }
  await expectNothingCreated();
});

test("a channel without a repository and no --repo is told how to set one, and nothing is created", async () => {
  const text = await answer(await h.command("build add a farewell function"));
  expect(text).toContain("This channel has no repository yet");
  expect(text).toContain("/paul repo owner/name");
  await expectNothingCreated();
  expect(h.github.requests).toEqual([]);
});

test("a repository the GitHub credentials can't reach is reported, and nothing is created", async () => {
  const text = await answer(
    await h.command("build add a farewell function --repo acme/does-not-exist"),
  );
  expect(text).toContain("can't reach `acme/does-not-exist`");
  expect(text).toContain("GITHUB_TOKEN");
  expect(h.github.requests.at(-1)?.path).toBe("/repos/acme/does-not-exist");
  await expectNothingCreated();
});

test("something that is not a repository name is refused before GitHub is asked", async () => {
  const before = h.github.requests.length;
  const text = await answer(await h.command("build add a thing --repo not-a-repo"));
  expect(text).toContain("is not a GitHub repository");
  expect(h.github.requests.length).toBe(before);
  await expectNothingCreated();
});

test("a flag without its value says how to write it", async () => {
  const text = await answer(await h.command("build add a thing --repo"));
  expect(text).toContain("--repo needs a value");
  await expectNothingCreated();
});

test("/paul repo with an unreachable repository changes nothing", async () => {
  const text = await answer(await h.command("repo acme/missing"));
  expect(text).toContain("can't reach `acme/missing`");
  expect(await count("select count(*)::text as n from slack_channel_repos")).toBe(0);
});

test("a --base that doesn't exist is reported with the existing branches, and nothing is created", async () => {
  const text = await answer(
    await h.command(`build add a farewell function --repo ${REPO} --base relaese`),
  );
  expect(text).toContain(`Branch 'relaese' does not exist in ${REPO}`);
  expect(text).toContain("Existing branches include `main`, `release`");
  expect(text).toContain("leave out --base to use the default branch `main`");
  expect(h.github.requests.slice(-2).map((r) => `${r.status} ${r.path}`)).toEqual([
    `404 /repos/${REPO}/branches/relaese`,
    `200 /repos/${REPO}/branches?per_page=10`,
  ]);
  await expectNothingCreated();
});

test("/paul repo with a --base that doesn't exist changes nothing", async () => {
  const text = await answer(await h.command(`repo ${REPO} --base relaese`));
  expect(text).toContain(`Branch 'relaese' does not exist in ${REPO}`);
  expect(text).toContain("`release`");
  expect(await count("select count(*)::text as n from slack_channel_repos")).toBe(0);
  await expectNothingCreated();
});

test("a channel default base deleted since it was set is reported with how to change it", async () => {
  const channel = "C0STALE";
  await h.db.pool.query(
    "insert into slack_channel_repos (channel, repo, base_branch, set_by) values ($1, $2, 'gone', $3)",
    [channel, REPO, REQUESTER],
  );
  try {
    const text = await answer(await h.command("build add a farewell function", { channel }));
    expect(text).toContain(`Branch 'gone' does not exist in ${REPO}`);
    expect(text).toContain(`/paul repo ${REPO} --base &lt;branch&gt;`);
    await expectNothingCreated();
  } finally {
    await h.db.pool.query("delete from slack_channel_repos where channel = $1", [channel]);
  }
});

test("/paul help, and /paul with nothing, list the commands", async () => {
  for (const cmd of ["help", ""]) {
    h.slack.ephemerals.length = 0;
    const text = await answer(await h.command(cmd));
    for (const c of ["/paul build", "/paul repo", "/paul status", "/paul runs", "/paul cancel"])
      expect(text).toContain(c);
  }
});

test("/paul status and /paul runs in a channel with no runs say how to start one", async () => {
  expect(await answer(await h.command("status"))).toContain("No runs in this channel yet");
  h.slack.ephemerals.length = 0;
  expect(await answer(await h.command("runs"))).toContain("No runs in this channel yet");
  h.slack.ephemerals.length = 0;
  expect(await answer(await h.command("cancel r-nosuch"))).toContain("There is no run `r-nosuch`");
  await expectNothingCreated();
});

test("/paul repo sets the channel's repository, and /paul build then uses it without --repo", async () => {
  const res = await h.command(`repo ${REPO}`);
  expect(res.status).toBe(200);
  const set = await waitFor("the in-channel confirmation", () =>
    h.slack.ephemerals.find((e) => e.responseType === "in_channel"),
  );
  expect(set.text).toContain(`set this channel's repository to \`${REPO}\` (base \`main\`)`);
  h.slack.ephemerals.length = 0;
  expect(await answer(await h.command("repo"))).toContain(`This channel builds on \`${REPO}\``);

  await h.command("build add a farewell function");
  const run = await waitFor("the run", async () => (await h.db.pool.query(RUNS)).rows[0]);
  expect(run).toMatchObject({
    origin: "slack",
    requester: REQUESTER,
    channel: CHANNEL,
    repo_spec: REPO,
    base_branch: "main",
    base_commit: null,
    feature: "add a farewell function",
  });
  // Created without cloning: the first job pins the base commit.
  expect(run.thread_ts).toBe(h.slack.callsTo("chat.postMessage")[0]?.response.ts);
  const jobs = await h.db.pool.query<{ task_identifier: string }>(
    "select task_identifier from graphile_worker.jobs",
  );
  expect(jobs.rows.map((j) => j.task_identifier)).toEqual(["analysis"]);

  h.slack.ephemerals.length = 0;
  const status = await answer(await h.command("status"));
  expect(status).toContain(run.id);
  expect(status).toContain("add a farewell function");
  h.slack.ephemerals.length = 0;
  expect(await answer(await h.command("runs"))).toContain(run.id);

  h.slack.ephemerals.length = 0;
  const refused = await answer(await h.command(`cancel ${run.id}`, { user: "U0BYSTANDER" }));
  expect(refused).toContain("Only <@U0REQUESTER>");
  expect((await h.db.pool.query("select status from runs")).rows[0]?.status).toBe("running");

  h.slack.ephemerals.length = 0;
  expect(await answer(await h.command(`cancel ${run.id}`))).toContain(
    `Run \`${run.id}\` is cancelled`,
  );
  expect((await h.db.pool.query("select status from runs")).rows[0]?.status).toBe("cancelled");
  expect(await count("select count(*)::text as n from graphile_worker._private_jobs")).toBe(0);
});

test("an existing --base is used by /paul repo and /paul build", async () => {
  h.slack.ephemerals.length = 0;
  await h.command(`repo ${REPO} --base release`);
  const set = await waitFor("the in-channel confirmation", () =>
    h.slack.ephemerals.find((e) => e.responseType === "in_channel"),
  );
  expect(set.text).toContain(`(base \`release\`)`);
  expect(h.github.requests.at(-1)?.path).toBe(`/repos/${REPO}/branches/release`);

  await h.command(`build add a wave function --repo ${REPO} --base release`);
  const run = await waitFor(
    "the run on release",
    async () => (await h.db.pool.query(`${RUNS} where feature = 'add a wave function'`)).rows[0],
  );
  expect(run).toMatchObject({ repo_spec: REPO, base_branch: "release" });
});
