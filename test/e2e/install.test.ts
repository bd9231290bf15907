import { execFile } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, expect, test } from "vitest";
import pkg from "../../package.json" with { type: "json" };
import { git } from "../../src/workspace/git.ts";
import { freePort } from "../support/global-setup.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin/paul.js");
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
async function sh(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Result> {
  try {
    // The outer run's database settings must not leak into the clean install's run.
    const { DATABASE_URL: _, PAUL_PG_PORT: __, ...outer } = process.env;
    const r = await run(cmd, args, { cwd, env: { ...outer, ...env }, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof x.code === "number" ? x.code : -1,
      stdout: x.stdout ?? "",
      stderr: x.stderr ?? "",
    };
  }
}

test("on a Node older than 22.18 the bin says which Node it found, which it needs, and what to run", async () => {
  const fake =
    'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.1.0"})';
  const r = await sh(process.execPath, ["--import", fake, BIN, "--version"], ROOT);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("Paul needs Node.js 22.18 or newer; this is Node.js 20.1.0");
  expect(r.stderr).toContain("npm run paul -- <command>");
});

test("a copy of the bin under node_modules (a packed install) says how to install instead", async () => {
  const d = await mkdtemp(join(tmpdir(), "paul-packed-"));
  dirs.push(d);
  const at = join(d, "node_modules/paul/bin");
  await mkdir(at, { recursive: true });
  await cp(BIN, join(at, "paul.js"));
  const r = await sh(process.execPath, [join(at, "paul.js"), "--version"], d);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/runs from a checkout[\s\S]*npm link/);
});

test("a clean install in a directory only root can enter: npm exec paul --version, then the demo", {
  timeout: 300_000,
}, async () => {
  // mkdtemp makes the directory 0700: as root, the embedded Postgres runs as
  // the postgres user, who could not reach the binaries under it.
  const parent = await mkdtemp(join(tmpdir(), "paul-clean-"));
  dirs.push(parent);
  await chmod(parent, 0o700);
  const checkout = join(parent, "paul");
  await mkdir(checkout);
  // What a clone holds: the tracked files (and new ones not ignored), nothing built.
  const files = (await git(["ls-files", "-co", "--exclude-standard", "-z"], ROOT)).stdout
    .split("\0")
    .filter(Boolean);
  for (const f of files) {
    const exists = await stat(join(ROOT, f)).then(
      () => true,
      () => false,
    );
    if (exists) await cp(join(ROOT, f), join(checkout, f), { recursive: true });
  }
  // npm ci fails when package-lock.json is out of sync with package.json.
  const install = await sh("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"], checkout);
  expect(install.stderr.slice(-2000)).not.toMatch(/npm error/);
  expect(install.code).toBe(0);

  const version = await sh("npm", ["exec", "--offline", "paul", "--", "--version"], checkout);
  expect(version.code).toBe(0);
  expect(version.stdout.trim()).toBe(pkg.version);

  // PAUL_HOME elsewhere (as ~/.paul would be): nothing may loosen the checkout's directory.
  const home = await mkdtemp(join(tmpdir(), "paul-clean-home-"));
  dirs.push(home);
  const demo = await sh("npm", ["run", "demo"], checkout, {
    PAUL_HOME: home,
    PAUL_PG_PORT: String(await freePort()),
  });
  expect(demo.stderr).not.toMatch(/EACCES|Unhandled/);
  expect(demo.code).toBe(0);
  expect(demo.stdout).toContain("Run done");
  expect((await stat(parent)).mode & 0o777).toBe(0o700);
});
