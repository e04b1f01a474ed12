import { ConflictError, InvalidConfigError, NotFoundError, type ThemisError, UnavailableError } from "@themis/core";
import { BACKEND_NAME } from "./config.js";

interface RestErrorLike {
  name?: string;
  code?: string;
  statusCode?: number;
  details?: { errorCode?: string };
}

const opts = (cause: unknown, retryable?: boolean) => ({ backend: BACKEND_NAME, cause, ...(retryable === undefined ? {} : { retryable }) });

/** HTTP status of an SDK error, when the server answered. */
export function statusOf(error: unknown): number | undefined {
  return (error as RestErrorLike | null)?.statusCode;
}

/** The storage error code (`BlobNotFound`, `ConditionNotMet`, ...) or the network error code. */
export function codeOf(error: unknown): string {
  const e = error as RestErrorLike | null;
  return e?.details?.errorCode ?? e?.code ?? e?.name ?? "Error";
}

/** The blob (not the container) does not exist. */
export function isMissingBlob(error: unknown): boolean {
  return statusOf(error) === 404 && codeOf(error) !== "ContainerNotFound";
}

/** A conditional write lost: If-None-Match: * found the blob (409 or 412), or If-Match a newer ETag. */
export function isConditionFailed(error: unknown): boolean {
  const status = statusOf(error);
  return status === 412 || (status === 409 && codeOf(error) === "BlobAlreadyExists");
}

/**
 * Turn an SDK error into a Themis error whose message says what failed and how to fix it.
 * Messages name the container and blob, never credentials; the SDK error is kept as `cause`.
 */
export function toThemisError(error: unknown, container: string, action: string): ThemisError {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === "string" && own.startsWith("ERR_THEMIS_")) return error as ThemisError;
  const code = codeOf(error);
  const status = statusOf(error);
  const where = `container "${container}"`;
  if (code === "ContainerNotFound") {
    return new NotFoundError(`${where} does not exist (while trying to ${action}): create it (az storage container create -n ${container}) or fix the "container" option`, opts(error));
  }
  if (status === 403 || code === "AuthenticationFailed" || code === "AuthorizationFailure" || code === "AuthorizationPermissionMismatch") {
    return new InvalidConfigError(
      `${where} refused the credentials (${code}) while trying to ${action}: check the connection string, account key or SAS (its permissions: read, add, create, write, delete, list; and its expiry)`,
      [{ path: "credentials", message: code }],
      opts(error),
    );
  }
  if (isConditionFailed(error)) return new ConflictError(`another writer changed ${where} while trying to ${action}`, opts(error));
  if (status === undefined || status >= 500 || status === 429 || status === 408) {
    const what = status ? `HTTP ${status} ${code}` : code;
    return new UnavailableError(`cannot reach ${where} to ${action} (${what}): check the endpoint and that the service is up; the operation may be retried`, opts(error));
  }
  return new UnavailableError(`Azure Blob Storage refused to ${action} on ${where}: HTTP ${status} ${code}`, opts(error, false));
}
