import { afterAll, describe, expect, it } from "vitest";
import { isPaulError, type PaulError } from "../../src/errors.ts";
import { discoverGates } from "../../src/gates/discover.ts";
import { nodeFixtureFiles, removeFixtures, tempDir, writeFiles } from "../support/git-fixtures.ts";

afterAll(removeFixtures);

async function repo(files: Record<string, string>): Promise<string> {
  const dir = await tempDir("paul-gates-");
  await writeFiles(dir, files);
  return dir;
}

const pkg = (scripts: Record<string, string>) =>
  JSON.stringify({ name: "x", version: "1.0.0", scripts });

async function badInput(dir: string): Promise<PaulError> {
  const e = await discoverGates(dir).catch((x: unknown) => x);
  if (!isPaulError(e)) throw new Error(`expected a PaulError, got ${String(e)}`);
  return e;
}

describe("discoverGates from package.json", () => {
  const scripts = { typecheck: "tsc", test: "vitest", lint: "biome check", build: "vite build" };

  it.each([
    ["package-lock.json", "npm", "npm ci"],
    ["npm-shrinkwrap.json", "npm", "npm ci"],
    ["pnpm-lock.yaml", "pnpm", "pnpm install --frozen-lockfile"],
    ["yarn.lock", "yarn", "yarn install --frozen-lockfile"],
    ["bun.lockb", "bun", "bun install"],
    ["bun.lock", "bun", "bun install"],
  ])("with %s uses %s", async (lockfile, pm, install) => {
    const dir = await repo({ "package.json": pkg(scripts), [lockfile]: "{}" });
    expect(await discoverGates(dir)).toEqual({
      source: "package.json",
      packageManager: pm,
      install,
      gates: [
        { gate: "typecheck", command: `${pm} run typecheck` },
        { gate: "test", command: `${pm} run test` },
        { gate: "lint", command: `${pm} run lint` },
        { gate: "build", command: `${pm} run build` },
      ],
    });
  });

  it("without a lockfile installs with npm, writing no lockfile", async () => {
    const plan = await discoverGates(await repo({ "package.json": pkg({ test: "node --test" }) }));
    expect(plan.install).toBe("npm install --no-package-lock");
    expect(plan.gates).toEqual([{ gate: "test", command: "npm run test" }]);
  });

  it("accepts type-check, and skips npm's placeholder test script", async () => {
    const plan = await discoverGates(
      await repo({
        "package.json": pkg({
          "type-check": "tsc --noEmit",
          test: 'echo "Error: no test specified" && exit 1',
          lint: "eslint .",
          start: "node server.js",
        }),
      }),
    );
    expect(plan.gates).toEqual([
      { gate: "typecheck", command: "npm run type-check" },
      { gate: "lint", command: "npm run lint" },
    ]);
  });

  it("finds the fixture project's four gates", async () => {
    const plan = await discoverGates(await repo(nodeFixtureFiles()));
    expect(plan.install).toBe("npm ci");
    expect(plan.gates.map((g) => g.gate)).toEqual(["typecheck", "test", "lint", "build"]);
  });

  it("is no gates when no script is a gate, or there is nothing to read", async () => {
    expect(await discoverGates(await repo({ "package.json": pkg({ start: "node ." }) }))).toEqual({
      source: "none",
      gates: [],
    });
    expect(await discoverGates(await repo({ "main.go": "package main\n" }))).toEqual({
      source: "none",
      gates: [],
    });
  });

  it("rejects a package.json that is not JSON", async () => {
    const e = await badInput(await repo({ "package.json": "{ nope" }));
    expect(e.code).toBe("bad_input");
    expect(e.message).toMatch(/^package\.json in the repository is not valid: not JSON/);
  });
});

describe("discoverGates from paul.gates.json", () => {
  it("reads commands for any language, and wins over package.json", async () => {
    const dir = await repo({
      "package.json": pkg({ test: "vitest" }),
      "package-lock.json": "{}",
      "paul.gates.json": JSON.stringify({
        install: "pip install -r requirements.txt",
        gates: { test: "pytest -q", lint: "ruff check .", typecheck: "mypy src" },
        timeoutSeconds: 90,
        passEnv: ["NPM_TOKEN", "PIP_INDEX_URL"],
      }),
    });
    expect(await discoverGates(dir)).toEqual({
      source: "config",
      install: "pip install -r requirements.txt",
      gates: [
        { gate: "typecheck", command: "mypy src" },
        { gate: "test", command: "pytest -q" },
        { gate: "lint", command: "ruff check ." },
      ],
      timeoutMs: 90_000,
      passEnv: ["NPM_TOKEN", "PIP_INDEX_URL"],
    });
  });

  it("needs neither install nor every gate", async () => {
    const plan = await discoverGates(
      await repo({ "paul.gates.json": '{"gates":{"test":"go test ./..."}}' }),
    );
    expect(plan).toEqual({ source: "config", gates: [{ gate: "test", command: "go test ./..." }] });
  });

  it.each([
    ["not JSON", "{ gates: ", /not JSON/],
    ["an unknown gate", '{"gates":{"fmt":"gofmt -l ."}}', /gates: .*fmt/i],
    ["a command that is not a string", '{"gates":{"test":42}}', /gates\.test/],
    ["an empty command", '{"gates":{"test":"  "}}', /gates\.test: must be a non-empty command/],
    ["no gates", '{"install":"make deps"}', /gates/],
    ["a bad timeout", '{"gates":{"test":"make test"},"timeoutSeconds":-5}', /timeoutSeconds/],
    [
      "a passEnv entry that is no variable name",
      '{"gates":{"test":"make"},"passEnv":["A B"]}',
      /passEnv/,
    ],
    ["an unknown field", '{"gates":{"test":"make"},"retries":3}', /retries/],
  ])("rejects %s, naming the file and the problem", async (_what, text, problem) => {
    const e = await badInput(await repo({ "paul.gates.json": text }));
    expect(e.code).toBe("bad_input");
    expect(e.message).toMatch(/^paul\.gates\.json in the repository is not valid: /);
    expect(e.message).toMatch(problem);
    expect(e.hint).toMatch(/"gates"/);
  });
});
