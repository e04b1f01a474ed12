import { ThemisError } from "@themis/core";
import { NETWORK_ERROR_CODES, backendError, retryTransient } from "@themis/core/backend";
import type { Endpoint } from "./connection.js";

/** The backend's registry name, used in every message. */
export const BACKEND_NAME = "redis";

// Redis error prefixes that say "not now": loading a dump, a busy script, a failover.
const TRANSIENT_REPLIES = ["LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY"];
const AUTH_REPLIES = ["NOAUTH", "WRONGPASS", "NOPERM"];

function replyCode(error: Error): string | undefined {
  return error.name === "ReplyError" ? /^[A-Z]+/.exec(error.message)?.[0] : undefined;
}

/**
 * True for failures that say nothing about the command itself: the connection dropped, the
 * client gave up waiting for a reconnection, the server is loading or failing over.
 * ioredis reports some of these only by message text; these are its fixed texts.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && NETWORK_ERROR_CODES.has(code)) return true;
  if (["MaxRetriesPerRequestError", "AbortError", "ClusterAllFailedError"].includes(error.name)) return true;
  if (error.message === "Connection is closed." || error.message === "Command timed out") return true;
  if (error.message.startsWith("Stream isn't writeable")) return true;
  const reply = replyCode(error);
  return reply !== undefined && TRANSIENT_REPLIES.includes(reply);
}

/**
 * A copy of a client error that is safe to keep as `cause`: its message with every secret
 * scrubbed, its name and code, and nothing else (ioredis attaches the failed command with
 * its arguments, which for AUTH hold the password).
 */
export function safeCause(error: unknown, secrets: readonly string[]): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const copy = new Error(scrub(source.message, secrets));
  copy.name = source.name;
  const code = (source as { code?: unknown }).code;
  if (typeof code === "string") (copy as Error & { code?: string }).code = code;
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}

/** `text` with every secret (and its URI-encoded form) replaced by "***". */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join("***");
  }
  return out;
}

/**
 * Turn a client error into a Themis error naming the server (never its password), with
 * core's one meaning per code (`backendError` of `@themis/core/backend`): a refused
 * password or a missing permission is INVALID_CONFIG (fix `password` / `username`), a
 * dropped connection or a loading server UNAVAILABLE (retryable), anything else the server
 * refused UNAVAILABLE, not retryable.
 */
export function translate(error: unknown, endpoint: Endpoint, secrets: readonly string[], doing: string): ThemisError {
  if (error instanceof ThemisError) return error;
  const cause = safeCause(error, secrets);
  const options = { backend: BACKEND_NAME, cause };
  const where = `Redis at ${endpoint.address}`;
  const reply = error instanceof Error ? replyCode(error) : undefined;
  if (reply && AUTH_REPLIES.includes(reply)) {
    const who = endpoint.username ? `user "${endpoint.username}"` : "the default user";
    return backendError("auth", `${where} refused ${doing}: authentication failed or not permitted for ${who} (${reply}). Check username and password`, {
      ...options,
      field: "password",
    });
  }
  if (reply === "WRONGTYPE") {
    return backendError(
      "corrupt",
      `${where}: a key of this backend holds a value of another type while ${doing}; another application may use the same keys (change keyPrefix)`,
      options,
    );
  }
  if (isTransient(error)) {
    const code = (error as { code?: unknown }).code;
    return backendError("unavailable", `cannot reach ${where} while ${doing}${typeof code === "string" ? ` (${code})` : ""}: ${cause.message}`, options);
  }
  return backendError("refused", `${where} failed while ${doing}: ${cause.message}`, options);
}

/**
 * Run `operation`, retrying it after transient failures up to `retries` times (core's
 * `retryTransient`: backoff from 100 ms up to 2 s). Only for operations that are safe to
 * repeat: reads, and the backend's idempotent write scripts. `stop()` (the backend closed)
 * ends the retries with the last failure.
 */
export function withRetries<T>(retries: number, operation: () => Promise<T>, stop: () => boolean): Promise<T> {
  return retryTransient(operation, { retries, minDelayMs: 100, maxDelayMs: 2000, retryOn: (error) => isTransient(error) && !stop() });
}
