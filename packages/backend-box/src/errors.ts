import { BoxApiError, BoxSdkError } from "box-node-sdk/box";
import { ThemisError } from "@themis/core";
import { backendError, failureKindOfStatus } from "@themis/core/backend";

/** The backend's registry name, used in every error message. */
export const BACKEND_NAME = "box/csv";

/**
 * What a failed Box request tells, without what it must not: the SDK's BoxApiError keeps
 * the request headers, Authorization (the access token) included, so it is never used
 * as a `cause`. This class is, with the status, Box's error code and the request id.
 */
export class BoxRequestError extends Error {
  /** HTTP status; 0 when no answer came (network failure, timeout). */
  readonly status: number;
  /** Box's error code, e.g. "item_name_in_use", "precondition_failed". */
  readonly boxCode: string | undefined;
  /** Box's request id, for Box support. */
  readonly requestId: string | undefined;
  /** `context_info` of the error body (conflicting items of a 409). */
  readonly contextInfo: Record<string, unknown> | undefined;

  constructor(message: string, status: number, boxCode?: string, requestId?: string, contextInfo?: Record<string, unknown>, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "BoxRequestError";
    this.status = status;
    this.boxCode = boxCode;
    this.requestId = requestId;
    this.contextInfo = contextInfo;
  }
}

const stringField = (body: unknown, key: string): string | undefined => {
  const v = body && typeof body === "object" ? (body as Record<string, unknown>)[key] : undefined;
  return typeof v === "string" ? v : undefined;
};

/** Strip query strings: they may hold tokens (download URLs accept `access_token`). */
const safeUrl = (url: string): string => url.replace(/[?#].*$/, "");

/** A {@link BoxRequestError} for anything a Box SDK call threw; other errors pass through. */
export function describeBoxError(error: unknown): BoxRequestError | ThemisError | Error {
  if (error instanceof ThemisError || error instanceof BoxRequestError) return error;
  if (error instanceof BoxApiError) {
    const { statusCode, body, contextInfo } = error.responseInfo;
    const code = stringField(body, "code") ?? stringField(body, "error");
    const requestId = stringField(body, "request_id");
    const what = `${error.requestInfo.method} ${safeUrl(error.requestInfo.url)}`;
    return new BoxRequestError(
      `${what} answered ${statusCode}${code ? ` ${code}` : ""}${requestId ? ` (request id ${requestId})` : ""}`,
      statusCode,
      code,
      requestId,
      contextInfo,
    );
  }
  if (error instanceof BoxSdkError) {
    // Network failures and SDK-side checks. The wrapped error (a fetch error) names the URL at most.
    const inner = error.error;
    return new BoxRequestError(error.message, 0, undefined, undefined, undefined, inner ? new Error(inner.message) : undefined);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** HTTP status of a failed Box call (0 without an answer, undefined for other errors). */
export function statusOf(error: unknown): number | undefined {
  const described = describeBoxError(error);
  return described instanceof BoxRequestError ? described.status : undefined;
}

/** OAuth 2 answers of Box's token endpoint (HTTP 400) that mean "these credentials are refused". */
const OAUTH_REJECTIONS = new Set(["invalid_client", "invalid_grant", "unauthorized_client", "invalid_token"]);

/**
 * Turn a failed Box call into a Themis error, with core's one meaning per code
 * (`backendError` of `@themis/core/backend`): 404 is NotFoundError (with `notFound` as the
 * message), 401/403 INVALID_CONFIG (credentials rejected, also by the token endpoint's OAuth answers, or lacking access), no answer,
 * 408, 429 and 5xx UNAVAILABLE (retryable), any other answer UNAVAILABLE, not retryable.
 * The cause is a {@link BoxRequestError}, never the SDK's error.
 */
export function toThemisError(error: unknown, doing: string, notFound?: string): Error {
  const described = describeBoxError(error);
  if (described instanceof ThemisError) return described;
  const options = { backend: BACKEND_NAME, cause: described };
  if (!(described instanceof BoxRequestError)) return backendError("unavailable", `${doing} failed: ${described.message}`, options);
  const { status } = described;
  if (status === 404 && notFound) return backendError("not-found", notFound, options);
  if (status === 401 || (described.boxCode !== undefined && OAUTH_REJECTIONS.has(described.boxCode)))
    return backendError(
      "auth",
      `${doing}: Box refused the credentials (${status}${described.boxCode ? ` ${described.boxCode}` : ""}); check the token or app credentials`,
      options,
    );
  if (status === 403) return backendError("auth", `${doing}: access denied (403); the user or service account needs access to the folder`, options);
  const kind = failureKindOfStatus(status) === "unavailable" ? "unavailable" : "refused";
  return backendError(kind, `${doing} failed: ${described.message}`, options);
}
