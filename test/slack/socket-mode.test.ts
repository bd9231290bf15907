import { afterAll, beforeAll, expect, test } from "vitest";
import type { RunWithThread } from "../../src/db/slack.ts";
import { type Harness, REPO, REQUESTER, RUNS, startHarness, waitFor } from "./harness.ts";
import { slashCommand } from "./payloads.ts";

/** With an app-level token, Paul connects out over Socket Mode: no public URL, same listeners. */
const APP_TOKEN = "xapp-1-A0PAUL-0000-socketmodetoken";
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ appToken: APP_TOKEN });
});
afterAll(async () => h?.close());

const command = (text: string, user = REQUESTER) =>
  h.slack.socket.send(
    "slash_commands",
    slashCommand({
      text,
      user,
      channel: "C0SOCKET",
      responseUrl: h.slack.responseUrl(),
      triggerId: "t-1",
    }),
  );

test("paul serve with SLACK_APP_TOKEN opens a Socket Mode connection instead of listening on a port", async () => {
  expect(h.service.port).toBeUndefined();
  await waitFor("the socket", () => h.slack.socket.connected());
  const open = h.slack.callsTo("apps.connections.open");
  expect(open.length).toBeGreaterThanOrEqual(1);
  expect(open[0]!.response.ok).toBe(true);
});

test("a slash command over the socket is acknowledged with its answer in the ack payload", async () => {
  const ack = await command("help");
  expect(ack.payload).toMatchObject({ response_type: "ephemeral" });
  expect(JSON.stringify(ack.payload)).toContain("/paul build <feature>");
  const bad = await command("deploy");
  expect(JSON.stringify(bad.payload)).toContain("`deploy` is not a Paul command");
});

test("/paul build over the socket starts a run and posts its thread root", async () => {
  const ack = await command(`build add a farewell function --repo ${REPO}`);
  expect(ack.payload ?? {}).toEqual({});
  const run = await waitFor(
    "the run",
    async () => (await h.db.pool.query<RunWithThread>(RUNS)).rows[0],
  );
  expect(run).toMatchObject({ origin: "slack", channel: "C0SOCKET", requester: REQUESTER });
  expect(h.slack.callsTo("chat.postMessage")[0]?.response.ts).toBe(run.thread_ts);
});

test("events arrive over the socket too (App Home)", async () => {
  await h.slack.socket.send("events_api", {
    token: "verification-token",
    team_id: "T0TEST",
    api_app_id: "A0PAUL",
    type: "event_callback",
    event_id: "Ev1",
    event_time: 1,
    event: {
      type: "app_home_opened",
      user: REQUESTER,
      channel: "D0",
      tab: "home",
      event_ts: "1.1",
    },
  });
  const home = await waitFor("the home view", () =>
    h.slack.views.find((v) => v.kind === "home" && v.user === REQUESTER),
  );
  expect(JSON.stringify(home.view)).toContain("add a farewell function");
});
