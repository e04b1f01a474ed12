/**
 * Every error Themis throws is a {@link ThemisError} with a stable `code`.
 * Match on `code` (or `instanceof` a subclass), never on message text.
 */
export type ThemisErrorCode =
  | "ERR_THEMIS_UNKNOWN_BACKEND"
  | "ERR_THEMIS_DUPLICATE_BACKEND"
  | "ERR_THEMIS_BACKEND_LOAD"
  | "ERR_THEMIS_INVALID_DEFINITION"
  | "ERR_THEMIS_INCOMPATIBLE_CONTRACT"
  | "ERR_THEMIS_INVALID_CONFIG"
  | "ERR_THEMIS_INVALID_NAME"
  | "ERR_THEMIS_INVALID_ROW"
  | "ERR_THEMIS_NOT_FOUND"
  | "ERR_THEMIS_ALREADY_EXISTS"
  | "ERR_THEMIS_CONFLICT"
  | "ERR_THEMIS_UNAVAILABLE"
  | "ERR_THEMIS_CORRUPT_DATA"
  | "ERR_THEMIS_CLOSED"
  | "ERR_THEMIS_UNSUPPORTED"
  | "ERR_THEMIS_TOO_LARGE"
  | "ERR_THEMIS_TIMEOUT"
  | "ERR_THEMIS_ABORTED"
  | "ERR_THEMIS_JOB_FAILED"
  | "ERR_THEMIS_CODE_MISMATCH";

export interface ThemisErrorOptions {
  /** Backend name the error comes from; prefixes the message as `[themis] [name]`. */
  backend?: string | undefined;
  cause?: unknown;
  /** Whether retrying the same operation may succeed (network blips, conflicts). */
  retryable?: boolean;
}

/** Base class of every Themis error. */
export class ThemisError extends Error {
  readonly code: ThemisErrorCode;
  readonly backend: string | undefined;
  readonly retryable: boolean;

  constructor(code: ThemisErrorCode, message: string, options: ThemisErrorOptions = {}) {
    const prefix = options.backend ? `[themis] [${options.backend}] ` : "[themis] ";
    super(prefix + message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.backend = options.backend;
    this.retryable = options.retryable ?? false;
  }
}

/** A table, row, project or backend that does not exist. */
export class NotFoundError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_NOT_FOUND", message, options);
  }
}

/** Creating something that already exists. */
export class AlreadyExistsError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_ALREADY_EXISTS", message, options);
  }
}

/** A concurrent writer won: the operation was not applied (or retries ran out). */
export class ConflictError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_CONFLICT", message, { retryable: true, ...options });
  }
}

/** The service behind a backend cannot be reached. */
export class UnavailableError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_UNAVAILABLE", message, { retryable: true, ...options });
  }
}

/** Stored data that cannot be read back as written (malformed file, torn record). */
export class CorruptDataError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_CORRUPT_DATA", message, options);
  }
}

/** A project or table name that is unsafe or empty. */
export class InvalidNameError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_INVALID_NAME", message, options);
  }
}

/** One problem found in a config or a row: where (dotted path) and why. */
export interface Issue {
  path: string;
  message: string;
}

function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => `  - ${i.path || "(root)"}: ${i.message}`).join("\n");
}

/** A row that is not a JSON object or fails the table's schema. */
export class InvalidRowError extends ThemisError {
  readonly issues: readonly Issue[];
  constructor(message: string, issues: readonly Issue[], options?: ThemisErrorOptions) {
    super("ERR_THEMIS_INVALID_ROW", issues.length ? `${message}\n${formatIssues(issues)}` : message, options);
    this.issues = issues;
  }
}

/** A backend config that fails the backend's schema. `issues` hold field paths and reasons. */
export class InvalidConfigError extends ThemisError {
  readonly issues: readonly Issue[];
  constructor(message: string, issues: readonly Issue[], options?: ThemisErrorOptions) {
    super("ERR_THEMIS_INVALID_CONFIG", issues.length ? `${message}\n${formatIssues(issues)}` : message, options);
    this.issues = issues;
  }
}

/** No installed backend has the requested name or URI scheme. */
export class UnknownBackendError extends ThemisError {
  readonly requested: string;
  readonly installed: readonly string[];
  readonly suggestion: string | undefined;
  constructor(requested: string, message: string, installed: readonly string[], suggestion?: string) {
    super("ERR_THEMIS_UNKNOWN_BACKEND", message);
    this.requested = requested;
    this.installed = installed;
    this.suggestion = suggestion;
  }
}

/** Two installed packages claim the same backend name. */
export class DuplicateBackendError extends ThemisError {
  readonly packages: readonly string[];
  constructor(message: string, packages: readonly string[]) {
    super("ERR_THEMIS_DUPLICATE_BACKEND", message);
    this.packages = packages;
  }
}

/** A backend's entry module is missing or throws while loading. */
export class BackendLoadError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_BACKEND_LOAD", message, options);
  }
}

/** A backend's entry module does not export a valid definition. */
export class InvalidDefinitionError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_INVALID_DEFINITION", message, options);
  }
}

/** A backend built for a contract version this core does not support. */
export class IncompatibleContractError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_INCOMPATIBLE_CONTRACT", message, options);
  }
}

/** Using a project, table or backend after `close()`. */
export class ClosedError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_CLOSED", message, options);
  }
}

/** An operation or job kind the backend does not support. */
export class UnsupportedError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_UNSUPPORTED", message, options);
  }
}

/** More data than a configured limit allows in memory (e.g. `load()` past `maxLoadRows`: stream with `entries()`). */
export class TooLargeError extends ThemisError {
  constructor(message: string, options?: ThemisErrorOptions) {
    super("ERR_THEMIS_TOO_LARGE", message, options);
  }
}

/** True when `error` is a ThemisError with this code (works across copies of core). */
export function hasErrorCode(error: unknown, code: ThemisErrorCode): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
