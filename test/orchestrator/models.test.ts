import { afterAll, describe, expect, it } from "vitest";
import { createTestDb } from "../support/db.ts";
import { submit } from "../support/fake-anthropic.ts";
import { removeFixtures } from "../support/git-fixtures.ts";
import { MUL, MUL_WRONG, SUB } from "./fixtures.ts";
import { harness, perAttempt, task, writes } from "./harness.ts";

afterAll(removeFixtures);
const db = await createTestDb();

const DOCUMENTED = {
  ...MUL,
  "src/mul.mjs": `/** Multiplies two numbers. */\n${MUL["src/mul.mjs"]}`,
};

describe("models by size", () => {
  it("starts XS/S tasks on the cheaper model and escalates a retry after a failure", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [
          task("T1", { size: "XS", files: ["src/mul.mjs"] }),
          task("T2", { size: "S", files: ["src/sub.mjs"] }),
        ],
        coders: { T1: perAttempt(writes(MUL_WRONG), writes(MUL)), T2: writes(SUB) },
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("waiting");
    const byTask = (k: string) =>
      h.calls.filter((c) => c.key === k && c.turn === 0).map((c) => c.model);
    expect(byTask("T1")).toEqual(["cheap-model", "strong-model"]);
    expect(byTask("T2")).toEqual(["cheap-model"]);
    expect(h.calls.some((c) => c.role === "reviewer")).toBe(false);
  });

  it("starts an M task on the stronger model; a reviewer pass on its diff turns required changes into another attempt", async () => {
    const h = await harness({
      pool: db.pool,
      dbUrl: db.url,
      script: {
        plan: [task("T1", { size: "M", files: ["src/mul.mjs", "test/mul.test.mjs"] })],
        coders: { T1: perAttempt(writes(MUL, "mul"), writes(DOCUMENTED, "mul, documented")) },
        reviewer: ({ n }) => ({
          content: [
            n === 1
              ? submit({
                  approved: false,
                  requiredChanges: ["Document mul() with a JSDoc comment"],
                  summary: "Works, but undocumented.",
                })
              : submit({ approved: true, requiredChanges: [], summary: "Good." }),
          ],
        }),
      },
    });
    await h.start();
    expect((await h.settle()).status).toBe("waiting");
    const coders = h.calls.filter((c) => c.role === "coder" && c.turn === 0);
    expect(coders.map((c) => c.model)).toEqual(["strong-model", "strong-model"]);
    expect(coders[1]!.prompt).toContain(
      "Attempt 1 passed the gates, but the reviewer required changes",
    );
    expect(coders[1]!.prompt).toContain(
      "Changes the reviewer requires:\n- Document mul() with a JSDoc comment",
    );
    const reviews = h.calls.filter((c) => c.role === "reviewer" && c.turn === 0);
    expect(reviews.map((c) => c.model)).toEqual(["reviewer-model", "reviewer-model"]);
    // The reviewer reads the diff of the passing attempt.
    expect(reviews[0]!.prompt).toContain("+export function mul(a, b) {");
    expect(reviews[1]!.prompt).toContain("+/** Multiplies two numbers. */");
    const attempts = await h.attempts();
    expect(attempts.map((a) => [a.status, a.ended_reason, a.review?.approved])).toEqual([
      ["passed", "changes_required", false],
      ["passed", "approved", true],
    ]);
    const t1 = (await h.tasks())[0]!;
    expect(t1.result_commit).toBe(attempts[1]!.result_commit);
  });
});
