/** Source files the scripted coders write: small modules with node:test tests. */

export const fn = (name: string, body: string) =>
  `export function ${name}(a, b) {\n  return ${body};\n}\n`;

export const testOf = (name: string, from: string, call: string, expected: number) =>
  [
    'import { test } from "node:test";',
    'import assert from "node:assert/strict";',
    `import { ${name} } from "../src/${from}";`,
    `test("${name}", () => assert.equal(${call}, ${expected}));`,
    "",
  ].join("\n");

export const MUL = {
  "src/mul.mjs": fn("mul", "a * b"),
  "test/mul.test.mjs": testOf("mul", "mul.mjs", "mul(2, 3)", 6),
};
export const MUL_WRONG = { ...MUL, "src/mul.mjs": fn("mul", "a + b") };
export const SUB = {
  "src/sub.mjs": fn("sub", "a - b"),
  "test/sub.test.mjs": testOf("sub", "sub.mjs", "sub(5, 3)", 2),
};
export const CALC = {
  "src/calc.mjs": [
    'export { add } from "./add.mjs";',
    'export { mul } from "./mul.mjs";',
    'export { sub } from "./sub.mjs";',
    "",
  ].join("\n"),
  "test/calc.test.mjs": testOf("mul, sub", "calc.mjs", "mul(sub(5, 3), 4)", 8),
};
