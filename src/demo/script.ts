import {
  lastToolResults,
  type MessagesRequest,
  promptText,
  roleOf,
  type ScriptedTurn,
  submit,
  text,
  toolUse,
  turnIndex,
} from "./model-server.ts";

/**
 * The recorded model of `paul demo` (and of the end-to-end tests): every agent
 * of a run on the sample repository, including a first coder attempt that
 * leaves a failing test and a second that fixes it.
 */
export const DEMO_FEATURE = "Add a farewell(name) function that says goodbye, with tests";

const FAREWELL_WRONG = `/** Says goodbye to someone by name. */
export function farewell(name) {
  return \`Goodbye \${name}\`;
}
`;
const FAREWELL_RIGHT = `/** Says goodbye to someone by name. */
export function farewell(name) {
  return \`Goodbye, \${name}!\`;
}
`;
const FAREWELL_TEST = `import assert from "node:assert/strict";
import { test } from "node:test";
import { farewell } from "../src/farewell.js";

test("farewell says goodbye with the name", () => {
  assert.equal(farewell("Ada"), "Goodbye, Ada!");
});
`;

const CONDITIONS = {
  correctness: "Keep the greeting style: a comma after the word and an exclamation mark at the end",
  testability: "Add a node:test test that checks the exact farewell text",
};

/** The judges' lenses that come with a condition (the others pass as they are). */
const hasCondition = (lens: string): lens is keyof typeof CONDITIONS =>
  Object.hasOwn(CONDITIONS, lens);

const turn = (...content: ScriptedTurn["content"]): ScriptedTurn => ({ content });

export function demoModel(req: MessagesRequest): ScriptedTurn {
  const role = roleOf(req) ?? "";
  const t = turnIndex(req);
  if (role === "analysis") {
    if (t === 0)
      return turn(
        text("Let me look at the library."),
        toolUse("list_files", { path: "." }),
        toolUse("view_file", { path: "src/greet.js" }),
      );
    return turn(
      submit({
        summary:
          "greetings is a tiny ES-module library with one function, greet(name), tested with node:test and linted by scripts/lint.js. A farewell(name) function fits next to it as src/farewell.js.",
        relevantFiles: [
          { path: "src/greet.js", why: "the existing function whose style farewell should follow" },
          { path: "test/greet.test.js", why: "how tests are written (node:test, assert/strict)" },
          { path: "scripts/lint.js", why: "the lint rules: no var, no console.log in src/" },
        ],
        constraints: ["ES modules only", "no var and no console.log in src/ (lint)"],
        risks: ["The exact punctuation of the message is easy to get wrong"],
        openQuestions: [],
      }),
    );
  }
  if (role === "approaches") {
    return turn(
      submit({
        approaches: [
          {
            name: "Separate module",
            summary:
              "Add src/farewell.js exporting farewell(name), mirroring greet, with its own test file.",
            steps: ["Create src/farewell.js", "Create test/farewell.test.js"],
            files: ["src/farewell.js", "test/farewell.test.js"],
            risks: ["None beyond the message format"],
            effort: "XS",
          },
          {
            name: "Extend greet.js",
            summary:
              "Add farewell next to greet in src/greet.js and extend the existing test file.",
            steps: ["Add farewell to src/greet.js", "Add a test to test/greet.test.js"],
            files: ["src/greet.js", "test/greet.test.js"],
            risks: ["greet.js grows beyond a single responsibility"],
            effort: "XS",
          },
        ],
      }),
    );
  }
  if (role.startsWith("judge-")) {
    const lens = role.slice("judge-".length);
    const condition = hasCondition(lens) ? CONDITIONS[lens] : undefined;
    return turn(
      submit({
        verdict: condition ? "pass_with_conditions" : "pass",
        scores: { correctness: 5, fit: 5, risk: 5, testability: 4 },
        conditions: condition ? [condition] : [],
        rationale: `Through the ${lens} lens the separate module is the simplest fit.`,
      }),
    );
  }
  if (role === "planner") {
    return turn(
      text("A small feature: one task."),
      submit({
        tasks: [
          {
            id: "T1",
            title: "Add farewell(name) in its own module, with a test",
            description:
              "Create src/farewell.js exporting farewell(name), in greet's style, and test/farewell.test.js checking the exact text with node:test.",
            files: ["src/farewell.js", "test/farewell.test.js"],
            size: "XS",
            dependsOn: [],
            conditions: Object.values(CONDITIONS),
          },
        ],
      }),
    );
  }
  if (role === "coder") return coder(req, t);
  return turn(text(`The recorded model has no answer for role "${role}".`));
}

function coder(req: MessagesRequest, t: number): ScriptedTurn {
  const retry = promptText(req).includes("This is a retry");
  const edit = (path: string, fileText: string) =>
    toolUse("str_replace_based_edit_tool", { command: "create", path, file_text: fileText });
  if (!retry) {
    if (t === 0) {
      return turn(
        text("I'll add the module and a test."),
        edit("src/farewell.js", FAREWELL_WRONG),
        edit("test/farewell.test.js", FAREWELL_TEST),
        edit("notes-attempt-1.txt", "scratch notes of the first attempt\n"),
      );
    }
    return turn(
      submit({
        summary: "Added farewell(name) in src/farewell.js with a test.",
        conditionsAddressed: Object.values(CONDITIONS),
      }),
    );
  }
  if (t === 0) {
    return turn(
      text("Starting again from a clean checkout; checking what is there."),
      toolUse("bash", {
        command: "ls; test -e notes-attempt-1.txt && echo LEFTOVER || echo CLEAN",
      }),
    );
  }
  if (t === 1) {
    const seen = lastToolResults(req)[0]?.content ?? "";
    return turn(
      text(
        `Checkout is ${seen.includes("CLEAN") ? "clean" : "NOT clean"}. The test expects "Goodbye, Ada!"; fixing the punctuation.`,
      ),
      edit("src/farewell.js", FAREWELL_RIGHT),
      edit("test/farewell.test.js", FAREWELL_TEST),
    );
  }
  if (t === 2) return turn(toolUse("bash", { command: "npm test 2>&1 | tail -5" }));
  return turn(
    submit({
      summary:
        'Added farewell(name) in src/farewell.js ("Goodbye, <name>!", matching greet\'s style) with a node:test test.',
      conditionsAddressed: Object.values(CONDITIONS),
    }),
  );
}
