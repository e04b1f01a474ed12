import type { ThemisError } from "@themis/core";
import { asThemisError, backendError, isNetworkError } from "@themis/core/backend";

export const BACKEND_NAME = "postgres";

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
// insufficient resources (53: too many connections).
const UNAVAILABLE_STATES = /^(08|57|53)/;
// Invalid authorization (28: wrong password, no pg_hba entry), insufficient privilege (42501).
const AUTH_STATES = /^(28|42501$)/;
// 54: program limit exceeded (a row or statement too large for PostgreSQL).
const TOO_LARGE_STATES = /^54/;

/**
 * Map a `pg` error to core's typed errors, with core's one meaning per code (`backendError`
 * of `@themis/core/backend`): a refused password or a missing privilege is INVALID_CONFIG.
 * The message names the operation and the SQLSTATE, never the connection settings (they may
 * hold a password); the original error is kept as `cause`.
 */
export function toThemisError(error: unknown, what: string): ThemisError {
  const own = asThemisError(error);
  if (own) return own;
  const state = sqlState(error);
  const message = (error as Error | null)?.message ?? String(error);
  const options = { backend: BACKEND_NAME, cause: error };
  if ((state !== undefined && UNAVAILABLE_STATES.test(state)) || isNetworkError(error) || /timeout|Connection terminated/i.test(message)) {
    return backendError("unavailable", `${what}: PostgreSQL cannot be reached (${state ?? message})`, options);
  }
  if (state !== undefined && AUTH_STATES.test(state)) {
    return backendError("auth", `${what}: PostgreSQL refused the user or its privileges (SQLSTATE ${state}): check user, password and grants`, {
      ...options,
      field: "password",
    });
  }
  if (state === UNIQUE_VIOLATION) return backendError("already-exists", `${what}: already exists`, options);
  if (state === FOREIGN_KEY_VIOLATION) return backendError("not-found", `${what}: its project or table no longer exists`, options);
  if (state !== undefined && TOO_LARGE_STATES.test(state))
    return backendError("too-large", `${what}: above a limit of PostgreSQL (SQLSTATE ${state}): ${message}`, options);
  // Anything else (a changed layout, a bug) will not heal by retrying.
  return backendError("refused", `${what} failed: ${state ? `SQLSTATE ${state}: ` : ""}${message}`, options);
}
