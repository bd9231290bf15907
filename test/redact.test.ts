import { expect, test } from "vitest";
import { makeRedactor, REDACTED, redactDeep } from "../src/redact.ts";

test("known secret values and token shapes are removed, ordinary text is kept", () => {
  const redact = makeRedactor(["my-very-secret-value", "short"]);
  const text = [
    "value my-very-secret-value here",
    "key sk-ant-api03-abcdefghijklmnop",
    "glued xxxghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "slack xoxb-1234567890-abcdef",
    "db postgres://paul:hunter2pass@db:5432/paul",
    "a short word stays",
  ].join("\n");
  const out = redact(text);
  expect(out).not.toContain("my-very-secret-value");
  expect(out).not.toContain("sk-ant-api03");
  expect(out).not.toContain("ghp_");
  expect(out).not.toContain("xoxb-");
  expect(out).not.toContain("hunter2pass");
  expect(out).toContain(`postgres://paul:${REDACTED}@db:5432/paul`);
  expect(out).toContain("a short word stays");
});

test("redactDeep walks objects and arrays", () => {
  const redact = makeRedactor(["secret-value-123"]);
  expect(
    redactDeep({ a: ["x secret-value-123"], b: { c: "secret-value-123" }, n: 1 }, redact),
  ).toEqual({
    a: [`x ${REDACTED}`],
    b: { c: REDACTED },
    n: 1,
  });
});
