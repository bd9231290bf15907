import { readFile } from "node:fs/promises";
import { expect, test } from "vitest";
import { SLASH_COMMAND } from "../../src/slack/app.ts";

/** manifest.yml creates the app Paul's code expects: its command, events, scopes and Socket Mode. */
test("the manifest declares the command, events, interactivity and exactly the scopes Paul uses", async () => {
  const yml = await readFile(new URL("../../manifest.yml", import.meta.url), "utf8");
  const list = (key: string) => {
    const m = new RegExp(`\\n(\\s*)${key}:\\n((?:\\1  (?:- .*|#.*)\\n)+)`).exec(yml);
    return (m?.[2] ?? "")
      .split("\n")
      .map((l) => /^\s*- (\S+)/.exec(l)?.[1])
      .filter((x): x is string => !!x);
  };
  expect(yml).toContain(`- command: ${SLASH_COMMAND}\n`);
  expect(list("bot_events").sort()).toEqual([
    "app_home_opened",
    "message.channels",
    "message.groups",
  ]);
  // One scope per Web API family Paul calls (chat.*, usergroups.users.list, users.conversations),
  // plus the command and the history scopes the message events need.
  expect(list("bot").sort()).toEqual(
    [
      "channels:history",
      "channels:read",
      "chat:write",
      "chat:write.public",
      "commands",
      "groups:history",
      "groups:read",
      "usergroups:read",
    ].sort(),
  );
  expect(yml).toMatch(/interactivity:\n\s+is_enabled: true/);
  expect(yml).toMatch(/socket_mode_enabled: true/);
  expect(yml).toMatch(/home_tab_enabled: true/);
});
