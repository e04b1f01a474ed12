import { ConflictError, InvalidConfigError, NotFoundError, type ThemisError, UnavailableError } from "@themis/core";
import { BACKEND_NAME } from "./config.js";

interface SdkErrorLike {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

const opts = (cause: unknown, retryable?: boolean) => ({ backend: BACKEND_NAME, cause, ...(retryable === undefined ? {} : { retryable }) });

/** HTTP status of an SDK error, when the server answered. */
export function statusOf(error: unknown): number | undefined {
  return (error as SdkErrorLike | null)?.$metadata?.httpStatusCode;
}

function nameOf(error: unknown): string {
  const e = error as SdkErrorLike | null;
  return e?.name ?? e?.Code ?? e?.code ?? "Error";
}

/** The object (not the bucket) does not exist. */
export function isMissingObject(error: unknown): boolean {
  const name = nameOf(error);
  return name === "NoSuchKey" || name === "NotFound" || (statusOf(error) === 404 && name !== "NoSuchBucket");
}

/** A conditional write lost: If-None-Match found the key, or If-Match a newer ETag. */
export function isPreconditionFailed(error: unknown): boolean {
  const name = nameOf(error);
  // AWS answers 409 ConditionalRequestConflict when two conditional writes race on one key.
  return statusOf(error) === 412 || name === "PreconditionFailed" || name === "ConditionalRequestConflict";
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

/**
 * Turn an SDK error into a Themis error whose message says what failed and how to fix it.
 * Messages hold the bucket and key, never credentials; the SDK error is kept as `cause`.
 */
export function toThemisError(error: unknown, bucket: string, action: string): ThemisError {
  if (typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string" && String((error as { code: string }).code).startsWith("ERR_THEMIS_")) {
    return error as ThemisError;
  }
  const name = nameOf(error);
  const status = statusOf(error);
  const where = `s3://${bucket}`;
  if (name === "NoSuchBucket") {
    return new NotFoundError(`bucket "${bucket}" does not exist (while trying to ${action}): create it (aws s3 mb ${where}) or fix the "bucket" option`, opts(error));
  }
  if (name === "AccessDenied" || name === "AllAccessDisabled" || name === "AccountProblem") {
    return new InvalidConfigError(
      `access denied to ${where} (while trying to ${action}): the credentials in use lack permission. Grant s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on the bucket and prefix, or use other credentials`,
      [{ path: "credentials", message: "access denied" }],
      opts(error),
    );
  }
  const message = error instanceof Error ? error.message : "";
  if (status === undefined && /region is missing/i.test(message)) {
    return new InvalidConfigError(`no AWS region for ${where}: set the "region" option (or AWS_REGION), or an "endpoint" for an S3-compatible server`, [{ path: "region", message: "missing" }], opts(error));
  }
  if (name === "CredentialsProviderError") {
    return new InvalidConfigError(
      `no credentials found for ${where}: set the "credentials" option, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an instance role`,
      [{ path: "credentials", message: "missing" }],
      opts(error),
    );
  }
  if (name === "InvalidAccessKeyId" || name === "SignatureDoesNotMatch" || name === "ExpiredToken" || name === "InvalidToken" || status === 403) {
    return new InvalidConfigError(
      `${where} rejected the credentials (${name}) while trying to ${action}: check the access key id and secret (or the AWS profile / environment), and the region`,
      [{ path: "credentials", message: name }],
      opts(error),
    );
  }
  if (name === "PermanentRedirect" || name === "AuthorizationHeaderMalformed" || status === 301) {
    return new InvalidConfigError(`${where} is in another region (${name}) while trying to ${action}: set the "region" option to the bucket's region`, [{ path: "region", message: name }], opts(error));
  }
  if (isPreconditionFailed(error)) {
    return new ConflictError(`another writer changed ${where} while trying to ${action}`, opts(error));
  }
  const code = (error as SdkErrorLike | null)?.code;
  if (status === undefined || status >= 500 || status === 429 || name === "SlowDown" || name === "TimeoutError" || (code && NETWORK_CODES.has(code))) {
    const what = status ? `HTTP ${status} ${name}` : `${name}${code && code !== name ? ` ${code}` : ""}`;
    return new UnavailableError(`cannot reach ${where} to ${action} (${what}): check the endpoint and that the server is up; the operation may be retried`, opts(error));
  }
  return new UnavailableError(`S3 refused to ${action} on ${where}: HTTP ${status} ${name}`, opts(error, false));
}
