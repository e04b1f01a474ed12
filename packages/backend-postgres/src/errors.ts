import { AlreadyExistsError, NotFoundError, ThemisError, UnavailableError } from "@themis/core";

export const BACKEND = "postgres";

/** SQLSTATE codes this backend treats specially. */
export const UNIQUE_VIOLATION = "23505";
export const FOREIGN_KEY_VIOLATION = "23503";

const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};

/** True for a PostgreSQL error with this SQLSTATE. */
export const isSqlState = (error: unknown, code: string): boolean => sqlState(error) === code;

// Connection exceptions (08), operator intervention (57: shutdown, terminated backend),
// insufficient resources (53: too many connections), and Node's socket errors.
const UNAVAILABLE_STATES = /^(08|57|53)/;
const SOCKET_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "EAI_AGAIN"]);

/**
 * Map a `pg` error to core's typed errors. The message names the operation and the
 * SQLSTATE, never the connection settings (they may hold a password); the original error
 * is kept as `cause`.
 */
export function toThemisError(error: unknown, what: string): ThemisError {
  if (error instanceof ThemisError) return error;
  const state = sqlState(error);
  const message = (error as Error | null)?.message ?? String(error);
  if (state !== undefined && (UNAVAILABLE_STATES.test(state) || SOCKET_ERRORS.has(state)) || /timeout|Connection terminated/i.test(message)) {
    return new UnavailableError(`${what}: PostgreSQL cannot be reached (${state ?? message})`, { backend: BACKEND, cause: error });
  }
  if (state === UNIQUE_VIOLATION) return new AlreadyExistsError(`${what}: already exists`, { backend: BACKEND, cause: error });
  if (state === FOREIGN_KEY_VIOLATION) return new NotFoundError(`${what}: its project or table no longer exists`, { backend: BACKEND, cause: error });
  // Anything else (permissions, a changed layout) will not heal by retrying.
  return new UnavailableError(`${what} failed: ${state ? `SQLSTATE ${state}: ` : ""}${message}`, { backend: BACKEND, cause: error, retryable: false });
}
