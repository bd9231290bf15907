import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, expect, test } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/open.ts";
import { isPaulError } from "../../src/errors.ts";
import { freePort } from "../support/global-setup.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function home(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "paul-embedded-"));
  dirs.push(d);
  return d;
}

async function alive(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on("error", () => {});
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

const EMBEDDED = fileURLToPath(new URL("../../src/db/embedded.ts", import.meta.url));
const EXIT_EVENTS = ["beforeExit", "exit", "SIGINT", "SIGTERM", "SIGHUP"] as const;

test("a process that loads the embedded Postgres keeps its own exit code (an exit hook once made it 0)", async () => {
  const script = [
    `await import(${JSON.stringify(EMBEDDED)});`,
    `const hooked = ${JSON.stringify(EXIT_EVENTS)}.filter((e) => process.listenerCount(e) > 0);`,
    "if (hooked.length) console.log('hooked: ' + hooked.join(','));",
    "process.exitCode = 3;",
  ].join("\n");
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
  });
  expect(r.stdout).toBe("");
  expect(r.status).toBe(3);
});

test("the embedded Postgres is shared by Paul processes and outlives the one that started it", {
  timeout: 120_000,
}, async () => {
  const cfg = loadConfig(
    { PAUL_HOME: await home(), PAUL_PG_PORT: String(await freePort()) },
    "read",
  );
  const first = await openDatabase(cfg);
  expect(first.embedded).toBe(true);
  await first.pool.query("create table marker (x int)");
  const second = await openDatabase(cfg);
  // The first process leaves while the second still works: the server stays.
  await first.close();
  await expect(second.pool.query("select count(*) from marker")).resolves.toBeDefined();
  const url = second.url;
  await second.close();
  // The last one out stops it; the data stays for next time.
  expect(await alive(url)).toBe(false);
  const again = await openDatabase(cfg);
  await expect(again.pool.query("select count(*) from marker")).resolves.toBeDefined();
  await again.close();
});

test("a port held by something else is a coded error that says what to do", {
  timeout: 120_000,
}, async () => {
  const sockets = new Set<Socket>();
  const squatter = createServer((s) => {
    sockets.add(s);
    s.end("not postgres\n");
  });
  await new Promise<void>((r) => squatter.listen(0, "127.0.0.1", r));
  const addr = squatter.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  try {
    const cfg = loadConfig({ PAUL_HOME: await home(), PAUL_PG_PORT: String(port) }, "read");
    const err = await openDatabase(cfg).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPaulError(err) && err.code).toBe("database_unavailable");
    expect(isPaulError(err) && err.toUserText()).toMatch(/did not start[\s\S]*PAUL_PG_PORT/);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => squatter.close(r));
  }
});
