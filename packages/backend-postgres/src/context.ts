import pg from "pg";
import { ClosedGuard, retryTransient } from "@themis/core/backend";
import type { PostgresConfig } from "./config.js";
import { BACKEND_NAME, toThemisError } from "./errors.js";
import { createLayoutSql, namesIn, type Names } from "./layout.js";

/** Attempts of a read whose connection broke. */
const READ_ATTEMPTS = 3;

/** What every handle of one backend shares: the pool, the table names, the closed flag. */
export class PostgresContext {
  readonly pool: pg.Pool;
  readonly names: Names;
  readonly batchSize: number;
  readonly #guard = new ClosedGuard(BACKEND_NAME);

  constructor(config: PostgresConfig) {
    this.pool = new pg.Pool({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.user,
      password: config.password,
      ssl: config.ssl ? true : undefined,
      max: config.poolSize,
      connectionTimeoutMillis: config.connectTimeout,
      application_name: config.applicationName,
    });
    // An idle connection the server drops (restart, pg_terminate_backend) emits "error" on
    // the pool; unhandled, that would crash the process. The pool discards the connection
    // and the next call opens a new one, so there is nothing else to do here.
    this.pool.on("error", () => undefined);
    this.names = namesIn(config.schema);
    this.batchSize = config.batchSize;
    this.schema = config.schema;
  }
  readonly schema: string;

  /** Throws ClosedError once the backend is closed. */
  assertOpen(): void {
    this.#guard.assertOpen();
  }

  /** Run one statement that changes data; pg errors become core's typed errors. */
  async query<R extends pg.QueryResultRow>(what: string, text: string | pg.QueryArrayConfig, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    this.assertOpen();
    try {
      return (await (typeof text === "string" ? this.pool.query<R>(text, values) : this.pool.query(text))) as unknown as pg.QueryResult<R>;
    } catch (error) {
      throw toThemisError(error, what);
    }
  }

  /**
   * Run one statement that only reads. A pooled connection the server dropped while idle
   * (restart, failover, pg_terminate_backend) fails the first statement sent on it; a read
   * is safe to send again: up to {@link READ_ATTEMPTS} times, each failure discarding the
   * broken connection (several idle ones may have been ended at once).
   */
  read<R extends pg.QueryResultRow>(what: string, text: string | pg.QueryArrayConfig, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    // Retryable here means UNAVAILABLE from a broken connection: a fresh one is tried at once.
    return retryTransient(() => this.query<R>(what, text, values), { retries: READ_ATTEMPTS - 1, minDelayMs: 1, maxDelayMs: 50 });
  }

  /** Create the schema and tables when missing (an advisory lock keeps concurrent starts apart). */
  async ensureLayout(): Promise<void> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw toThemisError(error, "connect");
    });
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`themis-layout:${this.schema}`]);
      await client.query(createLayoutSql(this.schema));
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw toThemisError(error, `create the tables of schema "${this.schema}"`);
    } finally {
      client.release();
    }
  }

  /** Idempotent: the pool ends once; every later call fails with ClosedError. */
  close(): Promise<void> {
    return this.#guard.close(() => this.pool.end());
  }
}
