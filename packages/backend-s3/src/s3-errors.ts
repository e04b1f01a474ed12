import type { ThemisError } from "@themis/core";
import { asThemisError, backendError, failureKindOfStatus, isNetworkError } from "@themis/core/backend";
import { BACKEND_NAME } from "./config.js";

interface SdkErrorLike {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

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

const DENIED = new Set(["AccessDenied", "AllAccessDisabled", "AccountProblem"]);
const REJECTED_CREDENTIALS = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"]);
const THROTTLED = new Set(["SlowDown", "TimeoutError"]);

/**
 * Turn an SDK error into a Themis error whose message says what failed and how to fix it,
 * with core's one meaning per code (`@themis/core/backend`'s `backendError`): credentials
 * missing, rejected or lacking permission are INVALID_CONFIG. Messages hold the bucket and
 * key, never credentials; the SDK error is kept as `cause`.
 */
export function toThemisError(error: unknown, bucket: string, action: string): ThemisError {
  const own = asThemisError(error);
  if (own) return own;
  const name = nameOf(error);
  const status = statusOf(error);
  const where = `s3://${bucket}`;
  const fail = (kind: Parameters<typeof backendError>[0], message: string, field?: string, issue: string = name) =>
    backendError(kind, message, { backend: BACKEND_NAME, cause: error, field, issue });
  if (name === "NoSuchBucket") {
    return fail("not-found", `bucket "${bucket}" does not exist (while trying to ${action}): create it (aws s3 mb ${where}) or fix the "bucket" option`);
  }
  if (DENIED.has(name)) {
    return fail(
      "auth",
      `access denied to ${where} (while trying to ${action}): the credentials in use lack permission. Grant s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on the bucket and prefix, or use other credentials`,
    );
  }
  const message = error instanceof Error ? error.message : "";
  if (status === undefined && /region is missing/i.test(message)) {
    return fail(
      "config",
      `no AWS region for ${where}: set the "region" option (or AWS_REGION), or an "endpoint" for an S3-compatible server`,
      "region",
      "missing",
    );
  }
  if (name === "CredentialsProviderError") {
    return fail(
      "auth",
      `no credentials found for ${where}: set the "credentials" option, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an instance role`,
      "credentials",
      "missing",
    );
  }
  if (REJECTED_CREDENTIALS.has(name) || status === 403) {
    return fail(
      "auth",
      `${where} rejected the credentials (${name}) while trying to ${action}: check the access key id and secret (or the AWS profile / environment), and the region`,
    );
  }
  if (name === "PermanentRedirect" || name === "AuthorizationHeaderMalformed" || status === 301) {
    return fail("config", `${where} is in another region (${name}) while trying to ${action}: set the "region" option to the bucket's region`, "region");
  }
  if (isPreconditionFailed(error)) return fail("conflict", `another writer changed ${where} while trying to ${action}`);
  const code = (error as SdkErrorLike | null)?.code;
  if (THROTTLED.has(name) || isNetworkError(error) || failureKindOfStatus(status) === "unavailable") {
    const what = status ? `HTTP ${status} ${name}` : `${name}${code && code !== name ? ` ${code}` : ""}`;
    return fail("unavailable", `cannot reach ${where} to ${action} (${what}): check the endpoint and that the server is up; the operation may be retried`);
  }
  return fail("refused", `S3 refused to ${action} on ${where}: HTTP ${status} ${name}`);
}
