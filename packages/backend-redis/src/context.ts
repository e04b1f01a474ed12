import type { ThemisError } from "@themis/core";
import { ClosedGuard } from "@themis/core/backend";
import type { Cluster, Redis } from "ioredis";
import type { Connection, Endpoint } from "./connection.js";
import { BACKEND_NAME, translate, withRetries } from "./errors.js";
import type { KeyLayout } from "./keys.js";
import type { LuaScript } from "./scripts.js";

/** What every part of one backend instance shares: the client, the key layout, the retry policy. */
export class RedisContext {
  readonly keys: KeyLayout;
  readonly endpoint: Endpoint;
  readonly #connection: Connection;
  readonly #retries: number;
  readonly #guard = new ClosedGuard(BACKEND_NAME);

  constructor(connection: Connection, keys: KeyLayout, retries: number) {
    this.#connection = connection;
    this.keys = keys;
    this.endpoint = connection.endpoint;
    this.#retries = retries;
  }

  /** ClosedError once {@link close} was called. */
  alive(): void {
    this.#guard.assertOpen();
  }

  /**
   * Mark closed (calls made meanwhile fail, retries stop) and close the client when this
   * backend owns it; a client passed in by the user stays open. Idempotent.
   */
  close(): Promise<void> {
    return this.#guard.close(() => (this.#connection.owned ? closeClient(this.#connection.client) : undefined));
  }

  /** A Themis error for a client failure while `doing` something. */
  error(error: unknown, doing: string): ThemisError {
    return translate(error, this.endpoint, this.#connection.secrets, doing);
  }

  /**
   * Run one operation against the server, retried after transient failures. `doing` names
   * the operation in messages ("appending to dataset \"qa\"").
   */
  async run<T>(doing: string, operation: (client: Redis | Cluster) => Promise<T>): Promise<T> {
    this.alive();
    const client = this.#connection.client;
    try {
      return await withRetries(
        this.#retries,
        () => operation(client),
        () => this.#guard.closed,
      );
    } catch (error) {
      throw this.error(error, doing);
    }
  }

  /** Run a Lua script (retried: every script of this backend is idempotent). */
  script(doing: string, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown[]> {
    return this.run(doing, async (client) => (await script.run(client, keys, args)) as unknown[]);
  }
}

/** Say goodbye to the server (QUIT), or drop the socket when there is no server to tell. */
async function closeClient(client: Redis | Cluster): Promise<void> {
  // Not connected: QUIT would wait in the offline queue for a server that is not there.
  if (client.status !== "ready") {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    // The server went away meanwhile: nothing to say goodbye to.
    client.disconnect();
  }
}
