import type { ThemisError } from "@themis/core";
import { asThemisError, backendError, failureKindOfStatus, isNetworkError } from "@themis/core/backend";
import { BACKEND_NAME } from "./config.js";

interface RestErrorLike {
  name?: string;
  code?: string;
  statusCode?: number;
  details?: { errorCode?: string };
}

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

const AUTH_CODES = new Set(["AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch"]);

/**
 * Turn an SDK error into a Themis error whose message says what failed and how to fix it,
 * with core's one meaning per code (`@themis/core/backend`'s `backendError`). Messages name
 * the container and blob, never credentials; the SDK error is kept as `cause`.
 */
export function toThemisError(error: unknown, container: string, action: string): ThemisError {
  const own = asThemisError(error);
  if (own) return own;
  const code = codeOf(error);
  const status = statusOf(error);
  const where = `container "${container}"`;
  const options = { backend: BACKEND_NAME, cause: error };
  if (code === "ContainerNotFound") {
    return backendError(
      "not-found",
      `${where} does not exist (while trying to ${action}): create it (az storage container create -n ${container}) or fix the "container" option`,
      options,
    );
  }
  if (AUTH_CODES.has(code) || failureKindOfStatus(status) === "auth") {
    return backendError(
      "auth",
      `${where} refused the credentials (${code}) while trying to ${action}: check the connection string, account key or SAS (its permissions: read, add, create, write, delete, list; and its expiry)`,
      options,
    );
  }
  if (isConditionFailed(error)) return backendError("conflict", `another writer changed ${where} while trying to ${action}`, options);
  if (isNetworkError(error) || failureKindOfStatus(status) === "unavailable") {
    const what = status ? `HTTP ${status} ${code}` : code;
    return backendError(
      "unavailable",
      `cannot reach ${where} to ${action} (${what}): check the endpoint and that the service is up; the operation may be retried`,
      options,
    );
  }
  return backendError("refused", `Azure Blob Storage refused to ${action} on ${where}: HTTP ${status} ${code}`, options);
}
