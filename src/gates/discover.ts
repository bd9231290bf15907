/**
 * Which commands prove a change is good, as the target repository defines them.
 *
 * 1. `paul.gates.json` at the repository root, for any language. It wins over
 *    everything else:
 *
 *    ```json
 *    {
 *      "install": "pip install -r requirements.txt",
 *      "gates": {
 *        "typecheck": "mypy src",
 *        "test": "pytest -q",
 *        "lint": "ruff check .",
 *        "build": "python -m build"
 *      },
 *      "timeoutSeconds": 900
 *    }
 *    ```
 *
 *    Every field is optional except `gates`; name only the gates the project
 *    has. `install` runs once before the gates; `timeoutSeconds` replaces
 *    PAUL_GATE_TIMEOUT_SECONDS for each command. Commands run with bash in the
 *    repository root.
 *
 * 2. Otherwise `package.json` scripts named `typecheck` (or `type-check`),
 *    `test`, `lint` and `build`, run with the package manager its lockfile
 *    names: pnpm-lock.yaml → pnpm, yarn.lock → yarn, bun.lock/bun.lockb → bun,
 *    package-lock.json/npm-shrinkwrap.json → npm ci; no lockfile → npm install
 *    (without writing a lockfile, so gates never add one to the change).
 *    npm's placeholder test script ("Error: no test specified") is not a gate.
 *
 * 3. Neither: no gates.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { isRecord, PaulError } from "../errors.ts";

/** The one list of gates: every other list of gate names is derived from it. */
export const GATE_NAMES = ["typecheck", "test", "lint", "build"] as const;
export type GateName = (typeof GATE_NAMES)[number];
/** What a gate run reports: the repository's install step (when it has one), then the gates. */
export const GATE_STEPS = ["install", ...GATE_NAMES] as const;
export type GateStep = (typeof GATE_STEPS)[number];

export type PackageManager = "npm" | "pnpm" | "yarn" | "bun";

export interface GatePlan {
  source: "config" | "package.json" | "none";
  packageManager?: PackageManager;
  install?: string;
  gates: { gate: GateName; command: string }[];
  /** From the config file's timeoutSeconds; overrides the caller's timeout. */
  timeoutMs?: number;
  /** Variables the repository asks to give its commands (an agent can read them too). */
  passEnv?: string[];
}

export const GATES_CONFIG_FILE = "paul.gates.json";

const command = z.string().trim().min(1, "must be a non-empty command");
export const GatesConfigSchema = z.strictObject({
  install: command.optional(),
  gates: z.strictObject({
    typecheck: command.optional(),
    test: command.optional(),
    lint: command.optional(),
    build: command.optional(),
  }),
  timeoutSeconds: z.number().int().min(1).max(7200).optional(),
  passEnv: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"))
    .max(50)
    .optional(),
});

const LOCKFILES: { file: string; pm: PackageManager; install: string }[] = [
  { file: "pnpm-lock.yaml", pm: "pnpm", install: "pnpm install --frozen-lockfile" },
  { file: "yarn.lock", pm: "yarn", install: "yarn install --frozen-lockfile" },
  { file: "bun.lock", pm: "bun", install: "bun install" },
  { file: "bun.lockb", pm: "bun", install: "bun install" },
  { file: "package-lock.json", pm: "npm", install: "npm ci" },
  { file: "npm-shrinkwrap.json", pm: "npm", install: "npm ci" },
];

const SCRIPT_NAMES: Record<GateName, string[]> = {
  typecheck: ["typecheck", "type-check"],
  test: ["test"],
  lint: ["lint"],
  build: ["build"],
};

const NPM_PLACEHOLDER_TEST = /no test specified/;

function badFile(file: string, problem: string): PaulError {
  return new PaulError("bad_input", `${file} in the repository is not valid: ${problem}`, {
    hint:
      file === GATES_CONFIG_FILE
        ? `Fix ${file}: {"install"?: string, "gates": {"typecheck"?, "test"?, "lint"?, "build"?: string}, "timeoutSeconds"?: number, "passEnv"?: string[]}.`
        : `Fix ${file} so that it is valid JSON.`,
  });
}

async function readJson(dir: string, file: string): Promise<unknown> {
  const text = await readFile(join(dir, file), "utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badFile(file, `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

function fromConfig(raw: unknown): GatePlan {
  const parsed = GatesConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "(top level)";
    throw badFile(GATES_CONFIG_FILE, `${where}: ${issue?.message ?? "invalid"}`);
  }
  const cfg = parsed.data;
  const plan: GatePlan = {
    source: "config",
    gates: GATE_NAMES.flatMap((gate) => {
      const c = cfg.gates[gate];
      return c ? [{ gate, command: c }] : [];
    }),
  };
  if (cfg.install) plan.install = cfg.install;
  if (cfg.timeoutSeconds) plan.timeoutMs = cfg.timeoutSeconds * 1000;
  if (cfg.passEnv?.length) plan.passEnv = cfg.passEnv;
  return plan;
}

function fromPackageJson(dir: string, raw: unknown): GatePlan {
  if (!isRecord(raw)) throw badFile("package.json", "not a JSON object");
  const table = isRecord(raw.scripts) ? raw.scripts : undefined;
  const lock = LOCKFILES.find((l) => existsSync(join(dir, l.file)));
  const pm: PackageManager = lock?.pm ?? "npm";
  const gates = GATE_NAMES.flatMap((gate) => {
    const name = SCRIPT_NAMES[gate].find((n) => {
      const body = table?.[n];
      if (typeof body !== "string" || !body.trim()) return false;
      return !(gate === "test" && NPM_PLACEHOLDER_TEST.test(body));
    });
    return name ? [{ gate, command: `${pm} run ${name}` }] : [];
  });
  if (gates.length === 0) return { source: "none", gates: [] };
  return {
    source: "package.json",
    packageManager: pm,
    install: lock?.install ?? "npm install --no-package-lock",
    gates,
  };
}

export async function discoverGates(dir: string): Promise<GatePlan> {
  if (existsSync(join(dir, GATES_CONFIG_FILE)))
    return fromConfig(await readJson(dir, GATES_CONFIG_FILE));
  if (existsSync(join(dir, "package.json")))
    return fromPackageJson(dir, await readJson(dir, "package.json"));
  return { source: "none", gates: [] };
}
