import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, expect, test } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/open.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

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

test("the embedded Postgres is shared by Paul processes and outlives the one that started it", {
  timeout: 120_000,
}, async () => {
  const home = await mkdtemp(join(tmpdir(), "paul-embedded-"));
  dirs.push(home);
  const port = 40000 + Math.floor(Math.random() * 20000);
  const cfg = loadConfig({ PAUL_HOME: home, PAUL_PG_PORT: String(port) }, "read");
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
