import pg from "pg";
import { afterAll, inject } from "vitest";
import type { Pool } from "../../src/db/pool.ts";
import { createPool } from "../../src/db/pool.ts";
import { withDatabase } from "./global-setup.ts";

export interface TestDb {
  url: string;
  pool: Pool;
  name: string;
}

let counter = 0;

/** A fresh, migrated database cloned from the run's template; dropped after the file. */
export async function createTestDb(): Promise<TestDb> {
  const adminUrl = inject("pgAdminUrl");
  const template = inject("pgTemplate");
  const name = `paul_t${counter++}_${template.split("_")[2]}_${process.pid.toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // Cloning needs the template to be idle; retry briefly if another file is cloning it right now.
  for (let i = 0; ; i++) {
    try {
      await admin.query(`create database "${name}" template "${template}"`);
      break;
    } catch (e) {
      if (i > 50) throw e;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const pool = createPool(url, { max: 10 });
  afterAll(async () => {
    await pool.end().catch(() => {});
  });
  return { url, pool, name };
}
