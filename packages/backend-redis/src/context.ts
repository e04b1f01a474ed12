import { ClosedError, type ThemisError } from "@themis/core";
import type { Cluster, Redis } from "ioredis";
import type { Connection, Endpoint } from "./connection.js";
import { BACKEND, translate, withRetries } from "./errors.js";
import type { KeyLayout } from "./keys.js";
import type { LuaScript } from "./scripts.js";

/** What every part of one backend instance shares: the client, the key layout, the retry policy. */
export class RedisContext {
  readonly keys: KeyLayout;
  readonly endpoint: Endpoint;
  readonly #connection: Connection;
  readonly #retries: number;
  #closed = false;

  constructor(connection: Connection, keys: KeyLayout, retries: number) {
    this.#connection = connection;
    this.keys = keys;
    this.endpoint = connection.endpoint;
    this.#retries = retries;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Mark closed; returns the client when this backend owns it (so the caller closes it). */
  markClosed(): Redis | Cluster | undefined {
    this.#closed = true;
    return this.#connection.owned ? this.#connection.client : undefined;
  }

  alive(): void {
    if (this.#closed) throw new ClosedError("backend is closed", { backend: BACKEND });
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
      return await withRetries(this.#retries, () => operation(client), () => this.#closed);
    } catch (error) {
      throw this.error(error, doing);
    }
  }

  /** Run a Lua script (retried: every script of this backend is idempotent). */
  script(doing: string, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown[]> {
    return this.run(doing, async (client) => (await script.run(client, keys, args)) as unknown[]);
  }
}
