import { ClosedError } from "../errors.js";

/**
 * The `close()` half of the storage and execution contracts, written once: after `close`,
 * every call through the backend and its handles fails with ClosedError
 * (`ERR_THEMIS_CLOSED`), and `close` is idempotent (a second call waits for the first and
 * releases nothing twice).
 *
 * @example
 * ```ts
 * class MyStorage implements StorageBackend {
 *   readonly #guard = new ClosedGuard("my/backend");
 *   async listProjects() {
 *     this.#guard.assertOpen();
 *     // ...
 *   }
 *   close() {
 *     return this.#guard.close(() => this.#pool.end());
 *   }
 * }
 * ```
 */
export class ClosedGuard {
  readonly #backend: string;
  readonly #what: string;
  #closing: Promise<void> | undefined;

  /** `what` names the closed thing in the error, e.g. `the redis backend` (default `backend`). */
  constructor(backend: string, what = "backend") {
    this.#backend = backend;
    this.#what = what;
  }

  /** True from the first call of {@link close} on. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Throw ClosedError once {@link close} was called. Call it first in every method. */
  assertOpen(): void {
    if (this.#closing) throw new ClosedError(`${this.#what} is closed`, { backend: this.#backend });
  }

  /**
   * Mark closed (at once: calls made meanwhile already fail) and run `release` once.
   * Every call returns the first call's promise; a failed release is not retried.
   */
  close(release: () => void | Promise<void> = () => undefined): Promise<void> {
    this.#closing ??= Promise.resolve().then(release);
    return this.#closing;
  }
}
