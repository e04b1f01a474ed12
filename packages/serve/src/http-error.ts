/** An error the API answers with a given HTTP status and a stable code. */
export class HttpError extends Error {
  readonly status: 400 | 401 | 403 | 404 | 413 | 500 | 503;
  readonly code: string;

  constructor(status: HttpError["status"], code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
  }
}

// Core's error codes that are the client's doing or a missing thing; the rest are 500/503.
const STATUS_OF_CODE: Record<string, HttpError["status"]> = {
  ERR_THEMIS_NOT_FOUND: 404,
  ERR_THEMIS_INVALID_NAME: 400,
  ERR_THEMIS_UNAVAILABLE: 503,
};

/** The HTTP status and JSON body for any error thrown while answering a request. */
export function errorResponse(error: unknown): { status: HttpError["status"]; body: { error: { code: string; message: string } } } {
  if (error instanceof HttpError) return { status: error.status, body: { error: { code: error.code, message: error.message } } };
  // Core's errors are matched by their stable code (never instanceof: one core per app is not guaranteed).
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("ERR_THEMIS_")) {
    return { status: STATUS_OF_CODE[code] ?? 500, body: { error: { code, message: (error as Error).message } } };
  }
  // Unknown errors may carry internals (paths, connection strings): say little.
  return { status: 500, body: { error: { code: "ERR_SERVE_INTERNAL", message: "internal error (see the server's log)" } } };
}
