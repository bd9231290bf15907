import { DEMO_FEATURE, demoModel } from "../../src/demo/script.ts";
import {
  type MessagesRequest,
  roleOf,
  type ScriptedTurn,
  submit,
  text,
  toolUse,
  turnIndex,
} from "./fake-anthropic.ts";

export { DEMO_FEATURE };

/** What a follow-up's coder writes: files, keyed by path, for each kind of follow-up it may meet. */
export interface FollowupEdit {
  /** Picks this edit when the coder's conversation contains it (a word of the request, a check name). */
  when: string;
  files: Record<string, string>;
  summary: string;
}

/** The farewell of the demo, said another way: what a review comment asks for in these tests. */
export const SEE_YOU = `/** Says goodbye to someone by name. */
export function farewell(name) {
  return \`See you, \${name}!\`;
}
`;
export const SEE_YOU_TEST = `import assert from "node:assert/strict";
import { test } from "node:test";
import { farewell } from "../src/farewell.js";

test("farewell says see you with the name", () => {
  assert.equal(farewell("Ada"), "See you, Ada!");
});
`;

const everything = (req: MessagesRequest) => JSON.stringify([req.system, req.messages[0]]);

/**
 * The demo's recorded model for the build, and for a follow-up's coder (its
 * brief is fenced as UNTRUSTED) the edit whose `when` its conversation
 * mentions; a follow-up's planner gets one task. Every request is also
 * returned to the test through `seen`.
 */
export function followupModel(edits: FollowupEdit[]) {
  return (req: MessagesRequest): ScriptedTurn => {
    const all = everything(req);
    const followup = all.includes("<<<UNTRUSTED");
    if (!followup) return demoModel(req);
    const role = roleOf(req) ?? "";
    if (role === "planner") {
      return {
        content: [
          submit({
            tasks: [
              {
                id: "T1",
                title: "Do the follow-up",
                description: "Do what the review asks, as the request says.",
                files: ["src/farewell.js", "test/farewell.test.js"],
                size: "S",
                dependsOn: [],
                conditions: [],
              },
            ],
          }),
        ],
      };
    }
    if (role !== "coder") return demoModel(req);
    const edit = edits.find((e) => all.includes(e.when));
    if (!edit) return { content: [text("No scripted edit matches this follow-up.")] };
    if (turnIndex(req) === 0) {
      return {
        content: [
          text("Changing what the review asks for."),
          ...Object.entries(edit.files).map(([path, fileText]) =>
            toolUse("str_replace_based_edit_tool", {
              command: "create",
              path,
              file_text: fileText,
            }),
          ),
        ],
      };
    }
    return { content: [submit({ summary: edit.summary, conditionsAddressed: [] })] };
  };
}
