import {
  AlreadyExistsError,
  ConflictError,
  CorruptDataError,
  InvalidConfigError,
  NotFoundError,
  ThemisError,
  TooLargeError,
  UnavailableError,
} from "../errors.js";

/**
 * What went wrong with a backend's service, in the words every backend shares. Each kind
 * has exactly one error code, so a user matching on `code` gets the same meaning from every
 * backend (see the table "Errors" in core's README):
 *
 * | kind | code | retryable |
 * |---|---|---|
 * | `unavailable` | `ERR_THEMIS_UNAVAILABLE` | yes: network failure, timeout, HTTP 408/429/5xx, throttling |
 * | `refused` | `ERR_THEMIS_UNAVAILABLE` | no: the service answered no, and the same request will get the same answer |
 * | `auth` | `ERR_THEMIS_INVALID_CONFIG` (issue path `credentials`) | no: credentials missing, rejected, expired or lacking a permission |
 * | `config` | `ERR_THEMIS_INVALID_CONFIG` (issue path: `field`) | no: another setting the service refuses (a wrong region, say) |
 * | `not-found` | `ERR_THEMIS_NOT_FOUND` | no |
 * | `already-exists` | `ERR_THEMIS_ALREADY_EXISTS` | no |
 * | `conflict` | `ERR_THEMIS_CONFLICT` | yes: a concurrent writer won |
 * | `too-large` | `ERR_THEMIS_TOO_LARGE` | no: above a limit of the service or of the config |
 * | `corrupt` | `ERR_THEMIS_CORRUPT_DATA` | no |
 */
export type FailureKind = "unavailable" | "refused" | "auth" | "config" | "not-found" | "already-exists" | "conflict" | "too-large" | "corrupt";

/** Options of {@link backendError}. */
export interface BackendErrorOptions {
  /** The backend's registry name: prefixes the message as `[themis] [name]`. */
  readonly backend: string;
  /** The failure, kept as `cause`. Scrub it first when it may hold a secret (a token, a password). */
  readonly cause?: unknown;
  /** The config field to fix, for `auth` and `config` (default `"credentials"`). */
  readonly field?: string | undefined;
  /** What is wrong with that field, for `auth` and `config` (default `"rejected by the service"`), e.g. `"missing"`. */
  readonly issue?: string | undefined;
}

/**
 * The Themis error for a failure of `kind` (one code per kind: see {@link FailureKind}).
 * The message says what failed and what to do; never put a secret in it.
 *
 * @example
 * ```ts
 * if (status === 401) throw backendError("auth", "the server rejected the token: check `token`", { backend: "my/backend", cause });
 * ```
 */
export function backendError(kind: FailureKind, message: string, options: BackendErrorOptions): ThemisError {
  const base = { backend: options.backend, cause: options.cause };
  switch (kind) {
    case "unavailable":
      return new UnavailableError(message, { ...base, retryable: true });
    case "refused":
      return new UnavailableError(message, { ...base, retryable: false });
    case "auth":
    case "config":
      return new InvalidConfigError(message, [{ path: options.field ?? "credentials", message: options.issue ?? "rejected by the service" }], base);
    case "not-found":
      return new NotFoundError(message, base);
    case "already-exists":
      return new AlreadyExistsError(message, base);
    case "conflict":
      return new ConflictError(message, base);
    case "too-large":
      return new TooLargeError(message, base);
    case "corrupt":
      return new CorruptDataError(message, base);
  }
}

/**
 * The kind of failure an HTTP status means: 401/403 `auth`, 404 `not-found`, 409/412
 * `conflict`, 413 `too-large`, 408/429/5xx and no answer at all (`undefined`, 0)
 * `unavailable`, any other status `refused`. A backend checks its service's own error codes
 * first (e.g. S3's `NoSuchBucket`, a 409 that means "already exists") and falls back on this.
 */
export function failureKindOfStatus(status: number | undefined): FailureKind {
  if (status === undefined || status === 0 || status === 408 || status === 429 || status >= 500) return "unavailable";
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "not-found";
  if (status === 409 || status === 412) return "conflict";
  if (status === 413) return "too-large";
  return "refused";
}

/** Node's socket and DNS error codes that mean "the service could not be reached (now)". */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "ENOTCONN",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_HEADERS_TIMEOUT",
]);

/**
 * True when `error`, or an error in its `cause` chain (fetch wraps the socket error),
 * carries one of {@link NETWORK_ERROR_CODES}: the request may never have reached the service.
 */
export function isNetworkError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_ERROR_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * `error` itself when it already is a Themis error (matched by its `ERR_THEMIS_` code, so it
 * works across copies of core), else undefined: a backend's mapping passes those through
 * unchanged instead of wrapping its own errors twice.
 */
export function asThemisError(error: unknown): ThemisError | undefined {
  if (error instanceof ThemisError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && code.startsWith("ERR_THEMIS_") ? (error as ThemisError) : undefined;
}
