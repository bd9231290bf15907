import pg from "pg";
import { errnoCode, PaulError } from "../errors.ts";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that can run a query: the pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, "query">;

/** What a pool tells its owner about an outage: once when it starts, once when it ends. */
export type OutageEvent =
  | { state: "down"; error: string; waitMs: number }
  | { state: "up"; downMs: number }
  | { state: "gave_up"; downMs: number };

export interface PoolOptions {
  max?: number;
  applicationName?: string;
  /**
   * How long a connection may stay unreachable before queries give up with
   * `database_unavailable`. 0: fail at once (tests, and one-shot tools).
   */
  waitMs?: number;
  /** The same before the pool's first connection ever worked (default 5 s, at most waitMs). */
  startWaitMs?: number;
  onOutage?: (e: OutageEvent) => void;
  /** Called during an outage, at most every few seconds: the embedded server restarts itself here. */
  revive?: () => Promise<void>;
}

// Errors that mean "the server is not there right now", not "the query is wrong".
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "57P01", // admin_shutdown: a restart
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up or shutting down
  "53300", // too_many_connections
]);

export function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = errnoCode(e);
  if (code !== undefined && CONNECTION_CODES.has(code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(
    e.message,
  );
}

/** Where a URL points, for messages: never its password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "the database";
  }
}

/**
 * A pg pool that rides out an outage: connecting is retried with backoff until
 * `waitMs` has passed since the outage began, and a one-statement
 * `pool.query` that lost its connection mid-flight is sent again (a statement
 * the server killed with its connection was rolled back). graphile-worker's
 * getJob/complete/fail go through `connect`, so a finished job's release waits
 * for the database instead of failing the worker. All operations share one
 * outage clock, so they give up together and the owner hears of it once.
 */
class ResilientPool extends pg.Pool {
  private downSince: number | null = null;
  private lastRevive = 0;
  private gaveUp = false;
  /** Whether this outage has been told: a single failure that the first retry fixes is not. */
  private announced = false;
  private everConnected = false;

  private readonly opts: PoolOptions;

  constructor(config: pg.PoolConfig, opts: PoolOptions) {
    super(config);
    this.opts = opts;
    const plainQuery = pg.Pool.prototype.query;
    const query = (...args: unknown[]): unknown => {
      // A callback-style call is passed on as it is; a promise-style one rides out outages.
      if (typeof args[args.length - 1] === "function") return Reflect.apply(plainQuery, this, args);
      return this.retrying(async (): Promise<unknown> => Reflect.apply(plainQuery, this, args));
    };
    // Assigned rather than overridden: pg's overloads can't be restated here. Safe:
    // every call is handed to pg's own query with its arguments untouched.
    this.query = query as pg.Pool["query"];
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(
    cb: (err: Error | undefined, client: pg.PoolClient | undefined, done: () => void) => void,
  ): void;
  override connect(
    cb?: (err: Error | undefined, client: pg.PoolClient | undefined, done: () => void) => void,
  ): Promise<pg.PoolClient> | undefined {
    const p = this.retrying(() => super.connect());
    if (!cb) return p;
    p.then(
      (c) => cb(undefined, c, () => c.release()),
      (e: Error) => cb(e, undefined, () => {}),
    );
    return undefined;
  }

  private async retrying<T>(op: () => Promise<T>): Promise<T> {
    // Until the first connection works, a wrong URL is likelier than a blip.
    const waitMs = this.everConnected
      ? (this.opts.waitMs ?? 0)
      : Math.min(this.opts.waitMs ?? 0, this.opts.startWaitMs ?? 5000);
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await op();
        this.everConnected = true;
        this.recovered();
        return out;
      } catch (e) {
        if (!(e instanceof Error) || !isConnectionError(e) || this.ending) throw e;
        const now = performance.now();
        if (this.downSince === null) {
          this.downSince = now;
          this.gaveUp = false;
          this.announced = false;
        }
        // A connection cut by a restart that is already over (an idle client
        // from before it) fails once and works on the first retry: no outage a
        // person needs to hear of. One that fails again is.
        if (attempt >= 1) this.announce(e, waitMs);
        const downMs = now - this.downSince;
        if (downMs >= waitMs) throw this.unavailable(e, downMs);
        if (this.opts.revive && now - this.lastRevive > 3000) {
          this.lastRevive = now;
          // A failed revive is not lost: the next attempt still finds no server,
          // and the outage runs on to "up" or to "gave_up" with the query's error.
          await this.opts.revive().catch(() => {});
        }
        const delay = Math.min(2000, 100 * 2 ** Math.min(attempt, 5));
        await new Promise((r) => setTimeout(r, Math.min(delay, waitMs - downMs + 10)));
      }
    }
  }

  private announce(e: Error, waitMs: number): void {
    if (this.announced) return;
    this.announced = true;
    this.opts.onOutage?.({ state: "down", error: e.message, waitMs });
  }

  private recovered(): void {
    if (this.downSince === null) return;
    const downMs = performance.now() - this.downSince;
    this.downSince = null;
    if (this.announced && !this.gaveUp) this.opts.onOutage?.({ state: "up", downMs });
    this.announced = false;
  }

  private unavailable(e: Error, downMs: number): PaulError {
    if (!this.gaveUp && downMs > 0) {
      this.announce(e, this.opts.waitMs ?? 0);
      this.gaveUp = true;
      this.opts.onOutage?.({ state: "gave_up", downMs });
    }
    const secs = Math.round(downMs / 1000);
    return new PaulError(
      "database_unavailable",
      `The database (${describeUrl(String(this.options.connectionString ?? ""))}) is unreachable${secs > 0 ? `; Paul waited ${secs} s` : ""}: ${e.message}`,
      {
        hint: "check that Postgres is running and DATABASE_URL is right (PAUL_DB_WAIT_SECONDS sets how long Paul waits)",
        cause: e,
      },
    );
  }
}

export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  const pool = new ResilientPool(
    {
      connectionString: url,
      max: opts.max ?? 10,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: 10_000,
      // Says which Paul process (and database handle) a connection belongs to.
      application_name: opts.applicationName ?? `paul-${process.pid}`,
    },
    opts,
  );
  // A client losing its connection (idle in the pool, or checked out) must not
  // crash the process; the query that needed it fails and is retried or reported.
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  return pool;
}

/**
 * A transaction that lost its connection before COMMIT was sent never
 * happened, so it is run again; one that lost it during COMMIT may or may not
 * have committed, so that is reported, not repeated.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (c: pg.PoolClient) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    let committing = false;
    let broken: unknown;
    try {
      await client.query("begin");
      const out = await fn(client);
      committing = true;
      await client.query("commit");
      return out;
    } catch (e) {
      broken = e;
      // The error that broke the transaction is rethrown below; a rollback that
      // fails too (the connection is gone) has nothing more to say, and the
      // server rolls back a transaction whose connection it lost.
      await client.query("rollback").catch(() => {});
      if (!committing && isConnectionError(e) && attempt < 5) continue;
      throw e;
    } finally {
      // A client whose connection broke is destroyed, not put back in the pool.
      client.release(broken instanceof Error && isConnectionError(broken) ? broken : undefined);
    }
  }
}
