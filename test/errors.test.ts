import { expect, test } from "vitest";
import { toPaulError } from "../src/errors.ts";

const sysError = (code: string, path: string) =>
  Object.assign(new Error(`${code}: failed, open '${path}'`), { code, path });

test("a full disk is its own error, with where and what to do", () => {
  const e = toPaulError(sysError("ENOSPC", "/srv/paul/work/runs/r-1/a.txt"));
  expect(e.code).toBe("disk_full");
  expect(e.hint).toMatch(
    /free some space where \/srv\/paul\/work\/runs\/r-1\/a\.txt lives \(df -h\)/,
  );
  expect(e.hint).toContain("paul resume");
});

test("permission denied names the path and is not retried", () => {
  const e = toPaulError(sysError("EACCES", "/srv/paul/work"));
  expect(e.code).toBe("workspace_denied");
  expect(e.retryable).toBe(false);
  expect(e.hint).toContain("/srv/paul/work");
});

test("anything else stays internal", () => {
  expect(toPaulError(new Error("boom")).code).toBe("internal");
  expect(toPaulError("boom").message).toBe("boom");
});
